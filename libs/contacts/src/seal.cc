#include "bidtrail/contacts/seal.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>

#include "absl/strings/str_cat.h"

namespace bidtrail::contacts {
namespace {

constexpr int kNonceBytes = 12;
constexpr int kTagBytes = 16;

struct CipherFree {
  void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

const unsigned char* Bytes(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

}  // namespace

absl::StatusOr<v1::Sealed> Seal(std::string_view key, std::string_view contact_id,
                                const v1::ContactPersonal& personal) {
  if (key.size() != kKeyBytes) {
    return absl::InternalError(
        absl::StrCat("a contact key has ", kKeyBytes, " bytes, not ", key.size()));
  }
  std::string plain = personal.SerializeAsString();
  v1::Sealed sealed;
  std::string nonce(kNonceBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(nonce.data()), kNonceBytes) != 1) {
    return absl::InternalError("no random bytes for a nonce");
  }
  std::string out(plain.size() + kTagBytes, '\0');
  auto* cipher_text = reinterpret_cast<unsigned char*>(out.data());
  Cipher context(EVP_CIPHER_CTX_new());
  int written = 0;
  int final_written = 0;
  const bool ok =
      context != nullptr &&
      EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_EncryptInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(nonce)) == 1 &&
      EVP_EncryptUpdate(context.get(), nullptr, &written, Bytes(contact_id),
                        static_cast<int>(contact_id.size())) == 1 &&
      EVP_EncryptUpdate(context.get(), cipher_text, &written, Bytes(plain),
                        static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(context.get(), cipher_text + written, &final_written) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes,
                          cipher_text + written + final_written) == 1;
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok) return absl::InternalError("AES-256-GCM failed to seal a contact's fields");
  out.resize(static_cast<size_t>(written + final_written) + kTagBytes);
  sealed.set_nonce(std::move(nonce));
  sealed.set_ciphertext(std::move(out));
  return sealed;
}

absl::StatusOr<v1::ContactPersonal> Unseal(std::string_view key, std::string_view contact_id,
                                           const v1::Sealed& sealed) {
  const std::string& cipher = sealed.ciphertext();
  if (key.size() != kKeyBytes || sealed.nonce().size() != kNonceBytes ||
      cipher.size() < kTagBytes) {
    return absl::DataLossError(absl::StrCat("contact ", std::string(contact_id),
                                            ": sealed fields are not AES-256-GCM sealed"));
  }
  const size_t body = cipher.size() - kTagBytes;
  std::string plain(body, '\0');
  Cipher context(EVP_CIPHER_CTX_new());
  int written = 0;
  int final_written = 0;
  std::string tag = cipher.substr(body);
  const bool ok =
      context != nullptr &&
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_IVLEN, kNonceBytes, nullptr) == 1 &&
      EVP_DecryptInit_ex(context.get(), nullptr, nullptr, Bytes(key), Bytes(sealed.nonce())) == 1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &written, Bytes(contact_id),
                        static_cast<int>(contact_id.size())) == 1 &&
      EVP_DecryptUpdate(context.get(), reinterpret_cast<unsigned char*>(plain.data()), &written,
                        Bytes(cipher), static_cast<int>(body)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(context.get(), reinterpret_cast<unsigned char*>(plain.data()) + written,
                          &final_written) == 1;
  v1::ContactPersonal personal;
  const bool parsed = ok && personal.ParseFromString(plain);
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!parsed) {
    return absl::DataLossError(
        absl::StrCat("contact ", std::string(contact_id),
                     ": sealed fields do not open under its key (altered or moved)"));
  }
  return personal;
}

}  // namespace bidtrail::contacts
