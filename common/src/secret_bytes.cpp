#include "mend/common/secret_bytes.h"

#include <sodium.h>

#include <cstring>
#include <new>
#include <stdexcept>

#include "mend/common/sodium_init.h"

namespace mend {

SecretBytes::SecretBytes(size_t size) {
  ensure_sodium();
  // sodium_malloc(0) still maps guard pages; an empty secret needs no memory at all.
  if (size == 0) return;
  data_ = static_cast<unsigned char*>(sodium_malloc(size));
  if (data_ == nullptr) throw std::bad_alloc();
  // sodium_malloc fills with 0xdb so that uninitialised use is visible; callers of
  // this constructor are promised zeros.
  sodium_memzero(data_, size);
  size_ = allocated_ = size;
}

SecretBytes SecretBytes::random(size_t size) {
  SecretBytes s(size);
  if (s.data_ != nullptr) randombytes_buf(s.data_, size);
  return s;
}

SecretBytes SecretBytes::copy_of(std::string_view bytes) {
  SecretBytes s(bytes.size());
  if (s.data_ != nullptr) std::memcpy(s.data_, bytes.data(), bytes.size());
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(other.data_),
      size_(other.size_),
      allocated_(other.allocated_),
      readonly_(other.readonly_) {
  other.data_ = nullptr;
  other.size_ = other.allocated_ = 0;
  other.readonly_ = false;
}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    size_ = other.size_;
    allocated_ = other.allocated_;
    readonly_ = other.readonly_;
    other.data_ = nullptr;
    other.size_ = other.allocated_ = 0;
    other.readonly_ = false;
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

void SecretBytes::release() noexcept {
  if (data_ == nullptr) return;
  // sodium_free zeroes too; doing it here first keeps the guarantee visible and
  // independent of libsodium's internals. A read-only region must be unlocked first.
  if (readonly_) sodium_mprotect_readwrite(data_);
  sodium_memzero(data_, allocated_);
  sodium_free(data_);
  data_ = nullptr;
  size_ = allocated_ = 0;
  readonly_ = false;
}

SecretBytes SecretBytes::clone() const { return copy_of(view()); }

std::string SecretBytes::insecure_copy() const { return std::string(view()); }

unsigned char* SecretBytes::data() {
  if (readonly_) throw std::logic_error("SecretBytes: write access to a read-only secret");
  return data_;
}

std::string_view SecretBytes::view() const {
  return data_ == nullptr ? std::string_view{}
                          : std::string_view(reinterpret_cast<const char*>(data_), size_);
}

void SecretBytes::make_readonly() {
  if (data_ == nullptr || readonly_) return;
  if (sodium_mprotect_readonly(data_) != 0)
    throw std::runtime_error("SecretBytes: sodium_mprotect_readonly failed");
  readonly_ = true;
}

void SecretBytes::make_writable() {
  if (data_ == nullptr || !readonly_) return;
  if (sodium_mprotect_readwrite(data_) != 0)
    throw std::runtime_error("SecretBytes: sodium_mprotect_readwrite failed");
  readonly_ = false;
}

void SecretBytes::shrink(size_t size) {
  if (size > size_) throw std::out_of_range("SecretBytes::shrink beyond the current size");
  sodium_memzero(data() + size, size_ - size);
  size_ = size;
}

bool SecretBytes::equals(std::string_view other) const {
  if (other.size() != size_) return false;
  if (size_ == 0) return true;
  return sodium_memcmp(data_, other.data(), size_) == 0;
}

void wipe(std::string& s) noexcept {
  // resize() to the capacity makes every byte of the buffer part of the string, so
  // zeroing it is well defined; nothing is reallocated.
  s.resize(s.capacity());
  if (!s.empty()) sodium_memzero(s.data(), s.size());
  s.clear();
}

}  // namespace mend
