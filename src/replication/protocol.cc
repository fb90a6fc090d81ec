#include "replication/protocol.h"

#include <simdjson.h>

#include <array>
#include <charconv>
#include <limits>

#include "http/event_json.h"
#include "http/json_reader.h"
#include "http/json_writer.h"
#include "replication/base64.h"

namespace annal::replication {
namespace {

using simdjson::ondemand::json_type;
using simdjson::ondemand::object;
using simdjson::ondemand::value;
namespace json = http::json;

// ---------------------------------------------------------------- encoding

void WriteEvent(http::JsonWriter& w, const WalEvent& e) {
  w.BeginObject();
  w.Key("id");
  w.Uuid(e.id);
  w.Field("event_type", e.event_type);
  w.Field("entity_id", e.entity_id);
  w.Field("tenant_id", e.tenant_id);
  w.Key("payload");
  w.Raw(e.payload);
  w.Key("timestamp");
  w.Timestamp(e.timestamp);
  w.Key("metadata");
  if (e.metadata) {
    w.Raw(*e.metadata);
  } else {
    w.Null();
  }
  w.Field("version", e.version);
  if (e.entity_version) w.Field("entity_version", e.entity_version->value());
  w.EndObject();
}

struct Encoder {
  http::JsonWriter& w;
  void operator()(const Subscribe& m) {
    w.Field("last_offset", m.last_offset.value());
    if (m.epoch) w.Field("epoch", m.epoch->value());
    if (m.node_id) w.Field("node_id", *m.node_id);
    if (m.protocol) w.Field("protocol", *m.protocol);
  }
  void operator()(const Ack& m) { w.Field("offset", m.offset.value()); }
  void operator()(const WalEntry& m) {
    w.Field("offset", m.offset.value());
    w.Key("data");
    w.BeginObject();
    w.Field("sequence", m.offset.value());
    w.Field("wal_timestamp", FormatWalTimestampRfc3339(m.wal_timestamp));
    w.Key("event");
    WriteEvent(w, m.event);
    w.Field("checksum", m.checksum);
    w.EndObject();
    if (m.epoch) w.Field("epoch", m.epoch->value());
    if (m.crc32c) w.Field("crc32c", *m.crc32c);
  }
  void operator()(const CaughtUp& m) { w.Field("current_offset", m.current_offset.value()); }
  void operator()(const SnapshotStart& m) {
    w.Key("parquet_files");
    w.BeginArray();
    for (const auto& f : m.parquet_files) w.String(f);
    w.EndArray();
  }
  void operator()(const SnapshotChunk& m) {
    w.Field("filename", m.filename);
    w.Field("data", base64::Encode(m.data));
    w.Field("chunk_offset", m.chunk_offset);
    w.Field("is_last", m.is_last);
    if (m.crc32c) w.Field("crc32c", *m.crc32c);
  }
  void operator()(const SnapshotEnd& m) {
    w.Field("wal_offset_after_snapshot", m.wal_offset_after_snapshot.value());
    if (m.epochs) {
      w.Key("epochs");
      w.BeginArray();
      for (const EpochStart& e : *m.epochs) {
        w.BeginArray();
        w.Uint(e.epoch.value());
        w.Uint(e.start.value());
        w.EndArray();
      }
      w.EndArray();
    }
  }
  void operator()(const Truncate& m) {
    w.Field("epoch", m.epoch.value());
    w.Field("end_offset", m.end_offset.value());
  }
};

// ---------------------------------------------------------------- decoding
// The whole line is validated as JSON first (json::Validate), so below a simdjson error can
// only mean a type mismatch or an engine limit; malformed input always wins over shape errors.

std::string Path(std::string_view where, std::string_view field) {
  std::string p(where);
  p += '.';
  p += field;
  return p;
}

Status EngineError(simdjson::error_code e) { return json::MalformedError(e); }

Result<json_type> TypeOf(value& v) {
  json_type t;
  if (auto e = v.type().get(t)) return EngineError(e);
  return t;
}

// Serde's Option::None is JSON null; an optional field that is null counts as absent.
bool IsNull(value& v) { return json::IsNull(v); }

Result<uint64_t> ReadUint(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
  if (t != json_type::number) return WrongShape(path + " must be a non-negative integer");
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
    raw.remove_suffix(1);
  if (!raw.empty() && raw.front() == '-') {
    // "-0" is an integer zero in JSON; anything else negative is a broken peer.
    if (raw != "-0")
      return InvalidArgument(path + " must not be negative (got " + std::string(raw) + ")");
    return uint64_t{0};
  }
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (ec == std::errc::result_out_of_range) return WrongShape(path + " is out of range");
  if (ec != std::errc() || ptr != raw.data() + raw.size())
    return WrongShape(path + " must be a non-negative integer");
  return n;
}

Result<uint32_t> ReadU32(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
  if (n > std::numeric_limits<uint32_t>::max()) return WrongShape(path + " must fit in 32 bits");
  return static_cast<uint32_t>(n);
}

Result<int64_t> ReadInt(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
  if (t != json_type::number) return WrongShape(path + " must be an integer");
  std::string_view raw = v.raw_json_token();
  while (!raw.empty() &&
         (raw.back() == ' ' || raw.back() == '\t' || raw.back() == '\r' || raw.back() == '\n'))
    raw.remove_suffix(1);
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), n);
  if (ec != std::errc() || ptr != raw.data() + raw.size())
    return WrongShape(path + " must be an integer");
  return n;
}

Result<std::string> ReadString(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(std::string_view s, json::StringValue(v, path));
  return std::string(s);
}

// Snapshot file names become paths on the follower: a bare name only, so a hostile or broken
// leader cannot make it write outside its snapshot directory.
Result<std::string> ReadFileName(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(std::string name, ReadString(v, path));
  if (name.empty() || name == "." || name == ".." ||
      name.find_first_of(std::string_view("/\\\0", 3)) != std::string::npos)
    return InvalidArgument(path + " must be a bare file name");
  return name;
}

Result<bool> ReadBool(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
  if (t != json_type::boolean) return WrongShape(path + " must be a boolean");
  bool b = false;
  if (auto e = v.get_bool().get(b)) return EngineError(e);
  return b;
}

Result<object> ReadObjectValue(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
  if (t != json_type::object) return WrongShape(path + " must be an object");
  object o;
  if (auto e = v.get_object().get(o)) return EngineError(e);
  return o;
}

Result<std::string> ReadJsonText(value& v) {
  ANNAL_ASSIGN_OR_RETURN(std::string_view raw, json::RawValue(v));
  return json::Minify(raw);
}

// Walks every member of `obj`. `fn(index, value)` reads the member named fields[index];
// members not in `fields` are skipped (forward compatibility). A repeated known member is a
// shape error (which one would win is not something two implementations agree on), and so
// is a missing member whose bit is set in `required`.
template <size_t N, typename Fn>
Status ForEachField(object& obj, std::string_view where,
                    const std::array<std::string_view, N>& fields, uint32_t required, Fn&& fn) {
  static_assert(N <= 32);
  uint32_t seen = 0;
  for (auto field_result : obj) {
    simdjson::ondemand::field field;
    if (auto e = std::move(field_result).get(field)) return EngineError(e);
    std::string_view key;
    if (auto e = field.unescaped_key().get(key)) return EngineError(e);
    size_t i = 0;
    while (i < N && fields[i] != key) ++i;
    if (i == N) continue;
    if (seen & (1u << i)) return WrongShape("duplicate field " + Path(where, key));
    seen |= 1u << i;
    value v = field.value();
    ANNAL_RETURN_IF_ERROR(fn(i, v));
  }
  for (size_t i = 0; i < N; ++i) {
    if ((required & (1u << i)) && !(seen & (1u << i)))
      return WrongShape("missing field " + Path(where, fields[i]));
  }
  return Status::Ok();
}

constexpr uint32_t Bits(std::initializer_list<int> idx) {
  uint32_t b = 0;
  for (int i : idx) b |= 1u << i;
  return b;
}

Result<Uuid> ReadUuid(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(std::string_view s, json::StringValue(v, path));
  auto id = Uuid::Parse(s);
  if (!id) return InvalidArgument(path + " is not a UUID");
  return *id;
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in microseconds since 1970.
constexpr TimestampMicros kMinEventTimestamp = -62'135'596'800LL * 1'000'000;
constexpr TimestampMicros kMaxEventTimestamp = 253'402'300'800LL * 1'000'000 - 1;

Result<TimestampMicros> ReadEventTimestamp(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(std::string_view s, json::StringValue(v, path));
  auto t = ParseRfc3339(s);
  if (!t) return InvalidArgument(path + " is not an RFC 3339 timestamp");
  // An offset can push a 4-digit year out of 0001..9999, which RFC 3339 cannot write back:
  // the entry could not be re-sent or re-read, so it is refused here.
  if (*t < kMinEventTimestamp || *t > kMaxEventTimestamp)
    return InvalidArgument(path + " is outside years 0001..9999");
  return *t;
}

Status ReadEvent(object& obj, WalEvent& e) {
  static constexpr std::array<std::string_view, 9> kFields = {
      "id",        "event_type", "entity_id", "tenant_id",     "payload",
      "timestamp", "metadata",   "version",   "entity_version"};
  const std::string where = "data.event";
  return ForEachField(obj, where, kFields, Bits({0, 1, 2, 4, 5}),
                      [&](size_t i, value& v) -> Status {
                        const std::string path = Path(where, kFields[i]);
                        switch (i) {
                          case 0: {
                            ANNAL_ASSIGN_OR_RETURN(e.id, ReadUuid(v, path));
                            break;
                          }
                          case 1: {
                            ANNAL_ASSIGN_OR_RETURN(e.event_type, ReadString(v, path));
                            break;
                          }
                          case 2: {
                            ANNAL_ASSIGN_OR_RETURN(e.entity_id, ReadString(v, path));
                            break;
                          }
                          case 3: {
                            // AllSource's tenant_id has a serde default; absent or null means
                            // "default".
                            if (!IsNull(v)) {
                              ANNAL_ASSIGN_OR_RETURN(e.tenant_id, ReadString(v, path));
                            }
                            break;
                          }
                          case 4: {
                            ANNAL_ASSIGN_OR_RETURN(e.payload, ReadJsonText(v));
                            break;
                          }
                          case 5: {
                            ANNAL_ASSIGN_OR_RETURN(e.timestamp, ReadEventTimestamp(v, path));
                            break;
                          }
                          case 6: {
                            if (!IsNull(v)) {
                              ANNAL_ASSIGN_OR_RETURN(e.metadata, ReadJsonText(v));
                            }
                            break;
                          }
                          case 7: {
                            ANNAL_ASSIGN_OR_RETURN(e.version, ReadInt(v, path));
                            break;
                          }
                          case 8: {
                            if (!IsNull(v)) {
                              ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
                              e.entity_version = EntityVersion(n);
                            }
                            break;
                          }
                        }
                        return Status::Ok();
                      });
}

Status ReadWalData(object& obj, WalEntry& m, uint64_t& sequence) {
  static constexpr std::array<std::string_view, 4> kFields = {"sequence", "wal_timestamp", "event",
                                                              "checksum"};
  return ForEachField(obj, "data", kFields, Bits({0, 1, 2, 3}), [&](size_t i, value& v) -> Status {
    const std::string path = Path("data", kFields[i]);
    switch (i) {
      case 0: {
        ANNAL_ASSIGN_OR_RETURN(sequence, ReadUint(v, path));
        break;
      }
      case 1: {
        ANNAL_ASSIGN_OR_RETURN(std::string_view s, json::StringValue(v, path));
        auto t = ParseWalTimestamp(s);
        if (!t) return InvalidArgument(path + " is not an RFC 3339 timestamp");
        m.wal_timestamp = *t;
        break;
      }
      case 2: {
        ANNAL_ASSIGN_OR_RETURN(object ev, ReadObjectValue(v, path));
        ANNAL_RETURN_IF_ERROR(ReadEvent(ev, m.event));
        break;
      }
      case 3: {
        ANNAL_ASSIGN_OR_RETURN(m.checksum, ReadU32(v, path));
        break;
      }
    }
    return Status::Ok();
  });
}

// "type" is listed (index 0) so that a second "type" member is caught as a duplicate; its
// value was already read.
Result<Message> ReadSubscribe(object& root) {
  static constexpr std::array<std::string_view, 5> kFields = {"type", "last_offset", "epoch",
                                                              "node_id", "protocol"};
  Subscribe m;
  ANNAL_RETURN_IF_ERROR(
      ForEachField(root, "subscribe", kFields, Bits({0, 1}), [&](size_t i, value& v) -> Status {
        const std::string path = Path("subscribe", kFields[i]);
        if (i == 0 || IsNull(v)) return Status::Ok();
        if (i == 1) {
          ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
          m.last_offset = Lsn(n);
        } else if (i == 2) {
          ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
          m.epoch = Epoch(n);
        } else if (i == 3) {
          ANNAL_ASSIGN_OR_RETURN(m.node_id, ReadString(v, path));
        } else {
          ANNAL_ASSIGN_OR_RETURN(m.protocol, ReadString(v, path));
        }
        return Status::Ok();
      }));
  return Message(std::move(m));
}

// Messages whose only field is one required offset.
template <typename M>
Result<Message> ReadSingleOffset(object& root, std::string_view type, std::string_view name,
                                 Lsn M::*member) {
  const std::array<std::string_view, 2> fields = {"type", name};
  M m;
  ANNAL_RETURN_IF_ERROR(
      ForEachField(root, type, fields, Bits({0, 1}), [&](size_t i, value& v) -> Status {
        if (i == 0) return Status::Ok();
        ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, Path(type, name)));
        m.*member = Lsn(n);
        return Status::Ok();
      }));
  return Message(std::move(m));
}

Result<Message> ReadWalEntry(object& root) {
  static constexpr std::array<std::string_view, 5> kFields = {"type", "offset", "data", "epoch",
                                                              "crc32c"};
  WalEntry m;
  uint64_t offset = 0;
  uint64_t sequence = 0;
  ANNAL_RETURN_IF_ERROR(
      ForEachField(root, "wal_entry", kFields, Bits({0, 1, 2}), [&](size_t i, value& v) -> Status {
        const std::string path = Path("wal_entry", kFields[i]);
        switch (i) {
          case 0:
            break;
          case 1: {
            ANNAL_ASSIGN_OR_RETURN(offset, ReadUint(v, path));
            break;
          }
          case 2: {
            ANNAL_ASSIGN_OR_RETURN(object data, ReadObjectValue(v, path));
            ANNAL_RETURN_IF_ERROR(ReadWalData(data, m, sequence));
            break;
          }
          case 3: {
            if (IsNull(v)) break;
            ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
            m.epoch = Epoch(n);
            break;
          }
          case 4: {
            if (IsNull(v)) break;
            ANNAL_ASSIGN_OR_RETURN(m.crc32c, ReadU32(v, path));
            break;
          }
        }
        return Status::Ok();
      }));
  // Two numbers for one LSN: if they disagree we cannot know which entry this is.
  if (offset != sequence)
    return InvalidArgument("wal_entry.offset " + std::to_string(offset) + " != data.sequence " +
                           std::to_string(sequence));
  m.offset = Lsn(offset);
  return Message(std::move(m));
}

Result<Message> ReadSnapshotStart(object& root) {
  static constexpr std::array<std::string_view, 2> kFields = {"type", "parquet_files"};
  SnapshotStart m;
  ANNAL_RETURN_IF_ERROR(ForEachField(
      root, "snapshot_start", kFields, Bits({0, 1}), [&](size_t i, value& v) -> Status {
        if (i == 0) return Status::Ok();
        const std::string path = "snapshot_start.parquet_files";
        ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
        if (t != json_type::array) return WrongShape(path + " must be an array of strings");
        simdjson::ondemand::array arr;
        if (auto e = v.get_array().get(arr)) return EngineError(e);
        for (auto element_result : arr) {
          value element;
          if (auto e = std::move(element_result).get(element)) return EngineError(e);
          ANNAL_ASSIGN_OR_RETURN(std::string name, ReadFileName(element, path + "[]"));
          m.parquet_files.push_back(std::move(name));
        }
        return Status::Ok();
      }));
  return Message(std::move(m));
}

Result<Message> ReadSnapshotChunk(object& root) {
  static constexpr std::array<std::string_view, 6> kFields = {"type",         "filename", "data",
                                                              "chunk_offset", "is_last",  "crc32c"};
  SnapshotChunk m;
  ANNAL_RETURN_IF_ERROR(ForEachField(
      root, "snapshot_chunk", kFields, Bits({0, 1, 2, 3, 4}), [&](size_t i, value& v) -> Status {
        const std::string path = Path("snapshot_chunk", kFields[i]);
        switch (i) {
          case 0:
            break;
          case 1: {
            ANNAL_ASSIGN_OR_RETURN(m.filename, ReadFileName(v, path));
            break;
          }
          case 2: {
            ANNAL_ASSIGN_OR_RETURN(std::string_view text, json::StringValue(v, path));
            auto bytes = base64::Decode(text);
            if (!bytes) return InvalidArgument(path + " is not padded standard base64");
            m.data = std::move(*bytes);
            break;
          }
          case 3: {
            ANNAL_ASSIGN_OR_RETURN(m.chunk_offset, ReadUint(v, path));
            break;
          }
          case 4: {
            ANNAL_ASSIGN_OR_RETURN(m.is_last, ReadBool(v, path));
            break;
          }
          case 5: {
            if (IsNull(v)) break;
            ANNAL_ASSIGN_OR_RETURN(m.crc32c, ReadU32(v, path));
            break;
          }
        }
        return Status::Ok();
      }));
  return Message(std::move(m));
}

// "epochs":[[epoch,start],...] with strictly increasing epochs and non-decreasing starts.
Result<std::vector<EpochStart>> ReadEpochs(value& v, const std::string& path) {
  ANNAL_ASSIGN_OR_RETURN(json_type t, TypeOf(v));
  if (t != json_type::array) return WrongShape(path + " must be an array of [epoch, start] pairs");
  simdjson::ondemand::array arr;
  if (auto e = v.get_array().get(arr)) return EngineError(e);
  std::vector<EpochStart> out;
  for (auto pair_result : arr) {
    value pair;
    if (auto e = std::move(pair_result).get(pair)) return EngineError(e);
    ANNAL_ASSIGN_OR_RETURN(json_type pt, TypeOf(pair));
    if (pt != json_type::array) return WrongShape(path + "[] must be an [epoch, start] pair");
    simdjson::ondemand::array items;
    if (auto e = pair.get_array().get(items)) return EngineError(e);
    std::vector<uint64_t> nums;
    for (auto item_result : items) {
      value item;
      if (auto e = std::move(item_result).get(item)) return EngineError(e);
      if (nums.size() == 2) return WrongShape(path + "[] must have exactly two numbers");
      ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(item, path + "[]"));
      nums.push_back(n);
    }
    if (nums.size() != 2) return WrongShape(path + "[] must have exactly two numbers");
    EpochStart es{Epoch(nums[0]), Lsn(nums[1])};
    if (!out.empty() && (es.epoch <= out.back().epoch || es.start < out.back().start))
      return InvalidArgument(path + " must have increasing epochs and starts");
    out.push_back(es);
  }
  return out;
}

Result<Message> ReadSnapshotEnd(object& root) {
  static constexpr std::array<std::string_view, 3> kFields = {"type", "wal_offset_after_snapshot",
                                                              "epochs"};
  SnapshotEnd m;
  ANNAL_RETURN_IF_ERROR(ForEachField(
      root, "snapshot_end", kFields, Bits({0, 1}), [&](size_t i, value& v) -> Status {
        const std::string path = Path("snapshot_end", kFields[i]);
        if (i == 1) {
          ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, path));
          m.wal_offset_after_snapshot = Lsn(n);
        } else if (i == 2 && !IsNull(v)) {
          ANNAL_ASSIGN_OR_RETURN(m.epochs, ReadEpochs(v, path));
        }
        return Status::Ok();
      }));
  return Message(std::move(m));
}

Result<Message> ReadTruncate(object& root) {
  static constexpr std::array<std::string_view, 3> kFields = {"type", "epoch", "end_offset"};
  Truncate m;
  ANNAL_RETURN_IF_ERROR(ForEachField(
      root, "truncate", kFields, Bits({0, 1, 2}), [&](size_t i, value& v) -> Status {
        if (i == 0) return Status::Ok();
        ANNAL_ASSIGN_OR_RETURN(uint64_t n, ReadUint(v, Path("truncate", kFields[i])));
        if (i == 1) m.epoch = Epoch(n);
        if (i == 2) m.end_offset = Lsn(n);
        return Status::Ok();
      }));
  return Message(std::move(m));
}

Result<Message> DecodeDocument(simdjson::padded_string& buf) {
  const std::string_view text(buf.data(), buf.size());
  ANNAL_RETURN_IF_ERROR(json::Validate(text));
  simdjson::ondemand::document doc;
  if (auto e = json::OnDemandParser().iterate(buf).get(doc)) return EngineError(e);
  json_type t;
  if (auto e = doc.type().get(t)) return EngineError(e);
  if (t != json_type::object) return WrongShape("a message must be a JSON object");

  // First pass: find "type" wherever it is; then rewind and read the members in one pass.
  std::string type;
  {
    object obj;
    if (auto e = doc.get_object().get(obj)) return EngineError(e);
    value v;
    auto e = obj.find_field_unordered("type").get(v);
    if (e == simdjson::NO_SUCH_FIELD) return WrongShape("missing field `type`");
    if (e) return EngineError(e);
    ANNAL_ASSIGN_OR_RETURN(type, ReadString(v, "type"));
  }
  doc.rewind();
  object root;
  if (auto e = doc.get_object().get(root)) return EngineError(e);

  if (type == "subscribe") return ReadSubscribe(root);
  if (type == "ack") return ReadSingleOffset<Ack>(root, "ack", "offset", &Ack::offset);
  if (type == "wal_entry") return ReadWalEntry(root);
  if (type == "caught_up")
    return ReadSingleOffset<CaughtUp>(root, "caught_up", "current_offset",
                                      &CaughtUp::current_offset);
  if (type == "snapshot_start") return ReadSnapshotStart(root);
  if (type == "snapshot_chunk") return ReadSnapshotChunk(root);
  if (type == "snapshot_end") return ReadSnapshotEnd(root);
  if (type == "truncate") return ReadTruncate(root);
  // Annal-only types are negotiated (protocol "annal/1"); one we do not know is a peer bug.
  return InvalidArgument("unknown message type \"" + type + "\"");
}

}  // namespace

std::string_view MessageTypeName(const Message& m) {
  static constexpr std::array<std::string_view, 8> kNames = {
      "subscribe",      "ack",          "wal_entry", "caught_up", "snapshot_start",
      "snapshot_chunk", "snapshot_end", "truncate"};
  static_assert(std::variant_size_v<Message> == kNames.size());
  return kNames[m.index()];
}

std::string EncodeLine(const Message& m) {
  http::JsonWriter w;
  w.BeginObject();
  w.Field("type", MessageTypeName(m));
  std::visit(Encoder{w}, m);
  w.EndObject();
  std::string out = w.Take();
  out += '\n';
  return out;
}

Result<Message> DecodeLine(std::string_view line) {
  if (line.ends_with('\n')) line.remove_suffix(1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  if (line.size() > kMaxLineBytes)
    return TooLarge("replication line of " + std::to_string(line.size()) + " bytes exceeds " +
                    std::to_string(kMaxLineBytes));
  // JSON would accept a newline as whitespace, but on this wire it ends a message: a line
  // holding one means the framing is broken.
  if (line.find('\n') != std::string_view::npos)
    return Malformed("replication line contains a raw newline");
  simdjson::padded_string buf(line);
  Result<Message> r = DecodeDocument(buf);
  json::ReleaseLargeParsers();
  return r;
}

}  // namespace annal::replication
