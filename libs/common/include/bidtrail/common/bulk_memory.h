// Large buffers filled once: asking the kernel to back them with huge pages.
//
// A page fault is dear on virtual machines (12-15 µs for a 4 KB page on the
// VMs this is measured on, docs/performance.md), and a buffer of tens of MB
// filled once, like a projection's catch-up write, then spends most of its
// time faulting its pages in. With transparent huge pages (Linux, "madvise"
// or "always" in /sys/kernel/mm/transparent_hugepage/enabled) a 2 MB page
// faults in at once: 64 MB filled in 4-8 ms instead of about 200. Advice
// only: where huge pages are off or unavailable, nothing changes.
//
// Thread-compatible.
#ifndef BIDTRAIL_COMMON_BULK_MEMORY_H_
#define BIDTRAIL_COMMON_BULK_MEMORY_H_

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace bidtrail {

// Below this a buffer is left to the allocator as it is.
inline constexpr size_t kBulkBytes = size_t{8} << 20;

// Asks for huge pages over the whole 2 MB pages inside [data, data + size)
// when `size` is at least kBulkBytes. Best done before the memory is first
// written; harmless on memory already written. Ignores failure (advice).
void AdviseHugePages(const void* data, size_t size);

// Memory for `bytes` bytes aligned to `alignment`: at least kBulkBytes are
// aligned to a huge page and advised as above; less comes from the usual
// allocator. Freed with FreeBulk and the same sizes.
void* AllocateBulk(size_t bytes, size_t alignment);
void FreeBulk(void* memory, size_t bytes, size_t alignment);

// An allocator for containers that grow large (a hash table of tens of
// thousands of tender states is rebuilt, whole, in fresh memory at every
// doubling): large blocks get huge pages; small ones are as usual.
template <typename T>
class BulkAllocator {
 public:
  using value_type = T;

  BulkAllocator() = default;
  template <typename U>
  BulkAllocator(const BulkAllocator<U>&) {}  // NOLINT: rebinding is implicit

  T* allocate(size_t n) { return static_cast<T*>(AllocateBulk(n * sizeof(T), alignof(T))); }
  void deallocate(T* memory, size_t n) { FreeBulk(memory, n * sizeof(T), alignof(T)); }

  template <typename U>
  bool operator==(const BulkAllocator<U>&) const {
    return true;
  }
};

// Bytes kept at a stable address until the buffer is destroyed, carved from
// chunks that double from 64 KB to kBulkBytes; those of kBulkBytes or more are
// aligned to huge pages and advised as above.
class BulkBuffer {
 public:
  BulkBuffer() = default;
  BulkBuffer(const BulkBuffer&) = delete;
  BulkBuffer& operator=(const BulkBuffer&) = delete;
  BulkBuffer(BulkBuffer&& other) noexcept { Swap(other); }
  BulkBuffer& operator=(BulkBuffer&& other) noexcept {
    BulkBuffer moved(std::move(other));
    Swap(moved);
    return *this;
  }
  ~BulkBuffer();

  // `size` bytes to be written by the caller, valid until destruction.
  char* Allocate(size_t size);

  // Bytes held in chunks (allocated, written or not).
  size_t capacity() const;

 private:
  void Swap(BulkBuffer& other) noexcept;

  struct Chunk {
    char* memory;
    size_t bytes;
  };
  std::vector<Chunk> chunks_;
  char* next_ = nullptr;
  size_t left_ = 0;
};

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_BULK_MEMORY_H_
