#include "bidtrail/common/bulk_memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace bidtrail {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kFirstChunk = size_t{64} << 10;

}  // namespace

void AdviseHugePages(const void* data, size_t size) {
  if (data == nullptr || size < kBulkBytes) return;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) & ~(kHugePage - 1);
  if (end <= begin) return;
#ifdef MADV_HUGEPAGE
  // Advice: a kernel without transparent huge pages refuses it, and the
  // memory is used as it is.
  (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
}

void* AllocateBulk(size_t bytes, size_t alignment) {
  if (bytes >= kBulkBytes) {
    void* memory = ::operator new (bytes, std::align_val_t{kHugePage});
    AdviseHugePages(memory, bytes);
    return memory;
  }
  if (alignment > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    return ::operator new (bytes, std::align_val_t{alignment});
  }
  return ::operator new(bytes);
}

void FreeBulk(void* memory, size_t bytes, size_t alignment) {
  // Unsized deletes: sized ones are not declared where the compiler leaves
  // sized deallocation off (clang before 19, the fuzz build).
  if (bytes >= kBulkBytes) {
    ::operator delete (memory, std::align_val_t{kHugePage});
  } else if (alignment > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    ::operator delete (memory, std::align_val_t{alignment});
  } else {
    ::operator delete(memory);
  }
}

BulkBuffer::~BulkBuffer() {
  for (const Chunk& chunk : chunks_) FreeBulk(chunk.memory, chunk.bytes, 1);
}

void BulkBuffer::Swap(BulkBuffer& other) noexcept {
  std::swap(chunks_, other.chunks_);
  std::swap(next_, other.next_);
  std::swap(left_, other.left_);
}

size_t BulkBuffer::capacity() const {
  size_t bytes = 0;
  for (const Chunk& chunk : chunks_) bytes += chunk.bytes;
  return bytes;
}

char* BulkBuffer::Allocate(size_t size) {
  if (size > left_) {
    // Chunks grow from 64 KB to kBulkBytes: a buffer that holds little (a
    // projection's write once caught up: a few records) takes no huge page,
    // which is zeroed whole when first touched, and given back when freed.
    // From kBulkBytes up, whole huge pages.
    const size_t grown =
        chunks_.empty() ? kFirstChunk : std::min(2 * chunks_.back().bytes, kBulkBytes);
    const size_t wanted = std::max(size, grown);
    const size_t bytes = wanted < kBulkBytes ? wanted : (wanted + kHugePage - 1) & ~(kHugePage - 1);
    chunks_.reserve(chunks_.size() + 1);
    chunks_.push_back({static_cast<char*>(AllocateBulk(bytes, 1)), bytes});
    next_ = chunks_.back().memory;
    left_ = bytes;
  }
  char* allocated = next_;
  next_ += size;
  left_ -= size;
  return allocated;
}

}  // namespace bidtrail
