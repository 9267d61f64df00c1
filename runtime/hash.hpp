#pragma once
// SHA-256 through OpenSSL's EVP interface: cache keys and cache-entry checksums.

#include <string>
#include <string_view>

struct evp_md_ctx_st;

namespace kpg {

// Incremental SHA-256. Move-only; hex_digest() finishes the hash (call it once).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(Sha256&& other) noexcept;
  Sha256& operator=(Sha256&& other) noexcept;
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // Hashes the length before the bytes, so ("ab","c") and ("a","bc") differ.
  void update_field(std::string_view data);
  std::string hex_digest();

 private:
  evp_md_ctx_st* ctx_ = nullptr;
};

std::string sha256_hex(std::string_view data);

}  // namespace kpg
