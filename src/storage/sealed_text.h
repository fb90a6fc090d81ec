// Small text files sealed by a last line `crc32c <8 lowercase hex digits>`, the CRC-32C of every
// byte before that line: the storage MANIFEST and the data dir's EPOCHS file
// (docs/format/storage.md). The seal is checked before anything is parsed, so a torn or damaged
// file is rejected as a whole. Also: reading such a file and replacing it atomically.
#pragma once

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "core/status.h"

namespace annal::storage {

// 8 lowercase hex digits.
std::string Hex32(uint32_t v);

// `body` followed by its seal line "crc32c <hex>\n". REQUIRES: body is empty or ends with '\n'.
std::string SealText(std::string body);

// The body of a sealed text (every byte before the seal line) once the seal matches.
// Corruption "<file>: ..." when the seal line is missing or malformed (torn, or not such a file)
// or its CRC does not match; `kind` names the file's kind in the message ("manifest").
Result<std::string_view> UnsealText(std::string_view text, std::string_view file,
                                    std::string_view kind);

// The lines of a body, without their '\n'. Corruption naming `file` when the last one is not
// terminated.
Result<std::vector<std::string_view>> SplitLines(std::string_view body, std::string_view file);
// Splits a line into its space-separated fields (an empty field where two spaces meet).
std::vector<std::string_view> SplitFields(std::string_view line);

// Parses all of `s` as a number in `base`; false for anything else (empty, sign, junk).
template <typename T>
bool ParseNumber(std::string_view s, T* out, int base = 10) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// The whole file; nullopt when it does not exist.
Result<std::optional<std::string>> ReadSmallFile(const std::filesystem::path& path);

// Atomically replaces `path` with `contents`: writes <path>.tmp, fdatasyncs it, renames it over
// `path` and fsyncs the directory. After a crash `path` holds the old or the new contents, never
// a mix (a leftover .tmp is garbage). `before_rename` (tests: crash points) runs once the temp
// file is durable.
Status ReplaceFileAtomically(const std::filesystem::path& path, std::string_view contents,
                             const std::function<void()>& before_rename = {});

}  // namespace annal::storage
