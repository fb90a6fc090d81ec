#include "storage/manifest.h"

#include "storage/file_names.h"
#include "storage/sealed_text.h"

namespace annal::storage {
namespace {

constexpr std::string_view kMagic = "ANNAL-MANIFEST";

}  // namespace

Status Manifest::Validate(std::string_view origin) const {
  auto bad = [&](const std::string& what) {
    return Corruption(std::string(origin) + ": " + what);
  };
  Lsn expected(1);
  for (const FileMeta& f : files) {
    auto range = ParseEventFileName(f.name);
    if (!range) return bad("bad file name '" + f.name + "'");
    if (range->first != f.first_lsn || range->last != f.last_lsn)
      return bad(f.name + ": name disagrees with its LSN range");
    if (f.first_lsn != expected)
      return bad(f.name + ": starts at LSN " + std::to_string(f.first_lsn.value()) +
                 ", expected " + std::to_string(expected.value()) + " (gap or overlap)");
    if (f.rows != f.last_lsn.value() - f.first_lsn.value() + 1)
      return bad(f.name + ": " + std::to_string(f.rows) + " rows for its LSN range");
    expected = f.last_lsn.next();
  }
  if (expected.prev() != checkpoint_lsn)
    return bad("files cover LSNs up to " + std::to_string(expected.prev().value()) +
               " but the checkpoint LSN is " + std::to_string(checkpoint_lsn.value()));
  return Status::Ok();
}

uint64_t Manifest::total_bytes() const {
  uint64_t n = 0;
  for (const FileMeta& f : files) n += f.bytes;
  return n;
}

std::string EncodeManifest(const Manifest& m) {
  std::string out;
  out += kMagic;
  out += ' ' + std::to_string(kManifestFormatVersion) + '\n';
  out += "generation " + std::to_string(m.generation) + '\n';
  out += "checkpoint_lsn " + std::to_string(m.checkpoint_lsn.value()) + '\n';
  for (const FileMeta& f : m.files) {
    out += "file " + f.name + ' ' + std::to_string(f.first_lsn.value()) + ' ' +
           std::to_string(f.last_lsn.value()) + ' ' + std::to_string(f.rows) + ' ' +
           std::to_string(f.bytes) + ' ' + Hex32(f.crc32c) + '\n';
  }
  return SealText(std::move(out));
}

Result<Manifest> DecodeManifest(std::string_view text, std::string_view file) {
  auto bad = [&](const std::string& what) {
    return Corruption(std::string(file) + ": " + what);
  };
  // The seal covers everything before it, so check it before parsing anything: a torn or
  // damaged manifest is rejected as a whole.
  ANNAL_ASSIGN_OR_RETURN(std::string_view body, UnsealText(text, file, "manifest"));
  ANNAL_ASSIGN_OR_RETURN(std::vector<std::string_view> lines, SplitLines(body, file));

  Manifest m;
  size_t line_no = 0;
  bool have_generation = false, have_checkpoint = false;
  for (std::string_view line : lines) {
    ++line_no;
    auto f = SplitFields(line);
    auto where = [&] { return "line " + std::to_string(line_no) + ": "; };
    if (line_no == 1) {
      uint32_t version = 0;
      if (f.size() != 2 || f[0] != kMagic || !ParseNumber(f[1], &version))
        return bad("not an Annal manifest");
      if (version != kManifestFormatVersion)
        return bad("unsupported manifest format version " + std::to_string(version));
    } else if (f[0] == "generation" && f.size() == 2 && !have_generation) {
      if (!ParseNumber(f[1], &m.generation)) return bad(where() + "bad generation");
      have_generation = true;
    } else if (f[0] == "checkpoint_lsn" && f.size() == 2 && !have_checkpoint) {
      uint64_t v = 0;
      if (!ParseNumber(f[1], &v)) return bad(where() + "bad checkpoint_lsn");
      m.checkpoint_lsn = Lsn(v);
      have_checkpoint = true;
    } else if (f[0] == "file" && f.size() == 7) {
      FileMeta meta;
      uint64_t first = 0, last = 0;
      meta.name = std::string(f[1]);
      if (!ParseNumber(f[2], &first) || !ParseNumber(f[3], &last) ||
          !ParseNumber(f[4], &meta.rows) || !ParseNumber(f[5], &meta.bytes) ||
          f[6].size() != 8 || !ParseNumber(f[6], &meta.crc32c, 16))
        return bad(where() + "malformed file entry");
      meta.first_lsn = Lsn(first);
      meta.last_lsn = Lsn(last);
      m.files.push_back(std::move(meta));
    } else {
      return bad(where() + "unexpected '" + std::string(line) + "'");
    }
  }
  if (!have_generation || !have_checkpoint) return bad("generation or checkpoint_lsn missing");
  ANNAL_RETURN_IF_ERROR(m.Validate(file));
  return m;
}

Result<std::optional<Manifest>> ReadManifest(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kManifestName;
  ANNAL_ASSIGN_OR_RETURN(std::optional<std::string> text, ReadSmallFile(path));
  if (!text) return std::optional<Manifest>();
  ANNAL_ASSIGN_OR_RETURN(Manifest m, DecodeManifest(*text, path.string()));
  return std::optional<Manifest>(std::move(m));
}

Status WriteManifest(const std::filesystem::path& dir, const Manifest& m, const CrashHook& hook) {
  ANNAL_RETURN_IF_ERROR(m.Validate("manifest to write"));  // never persist a broken catalog
  ANNAL_RETURN_IF_ERROR(ReplaceFileAtomically(dir / kManifestName, EncodeManifest(m), [&] {
    Reach(hook, CrashPoint::kManifestTempWritten);
  }));
  Reach(hook, CrashPoint::kManifestCommitted);
  return Status::Ok();
}

}  // namespace annal::storage
