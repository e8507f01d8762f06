#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mend {

// Key material and decrypted content. The bytes live in sodium_malloc'd memory
// (guard pages, mlock'd so they are not swapped out, a canary checked on free)
// and are zeroed before the memory is released. Move-only: a copy of a key is
// always an explicit clone() or insecure_copy(), never an accident.
class SecretBytes {
 public:
  SecretBytes() noexcept = default;
  // `size` zero bytes. Throws std::bad_alloc if sodium_malloc fails.
  explicit SecretBytes(size_t size);
  // `size` bytes from the OS CSPRNG.
  static SecretBytes random(size_t size);
  // Copies `bytes` into guarded memory. The caller still owns (and should wipe) the source.
  static SecretBytes copy_of(std::string_view bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  ~SecretBytes();

  // A second guarded copy; spelled out so that duplicating a key is visible in review.
  SecretBytes clone() const;
  // An ordinary std::string copy, outside guarded memory. Only for callers that must
  // hand the bytes to an API taking std::string (and then wipe() it).
  std::string insecure_copy() const;

  unsigned char* data();
  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // A non-owning view for functions that take bytes as std::string_view. No copy.
  std::string_view view() const;

  // Long-lived keys are made read-only once filled, so a stray write faults
  // instead of silently corrupting a key. writable() undoes it.
  void make_readonly();
  void make_writable();
  bool readonly() const { return readonly_; }

  // Keeps the first `size` bytes and zeroes the rest (used after sodium_unpad).
  void shrink(size_t size);

  // Constant-time comparison of contents (sizes are not secret).
  bool equals(std::string_view other) const;

 private:
  void release() noexcept;

  unsigned char* data_ = nullptr;
  size_t size_ = 0;
  size_t allocated_ = 0;
  bool readonly_ = false;
};

// Zeroes a std::string's whole buffer (capacity included) and empties it. For the
// unavoidable copies that third-party APIs (protobuf) make in ordinary strings.
void wipe(std::string& s) noexcept;

}  // namespace mend
