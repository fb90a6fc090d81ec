// Base64 (RFC 4648 §4, standard alphabet, '=' padding) for snapshot chunk data. Decoding is
// strict, as Rust's base64 STANDARD engine that AllSource uses: length a multiple of 4,
// padding only at the end, no whitespace, and unused trailing bits must be zero (so every
// byte string has exactly one accepted encoding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace annal::replication::base64 {

std::string Encode(std::string_view bytes);
// nullopt when `text` is not canonical padded base64.
std::optional<std::string> Decode(std::string_view text);

}  // namespace annal::replication::base64
