#include "storage/parquet/thrift_compact.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

namespace annal::storage::thrift {
namespace {

const uint8_t* U8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

TEST(ThriftCompact, ScalarsAndNestingRoundTrip) {
  std::string buf;
  CompactWriter w(&buf);
  w.BeginStruct();
  w.FieldI32(1, std::numeric_limits<int32_t>::min());
  w.FieldI64(2, std::numeric_limits<int64_t>::max());
  w.FieldBool(3, true);
  w.FieldBool(4, false);
  w.FieldBinary(5, std::string("h\0llo", 5));
  w.FieldStructBegin(40);  // delta > 15: long field header
  w.FieldI64(1, -1);
  w.EndStruct();
  w.FieldListBegin(41, Type::kBinary, 20);  // ≥ 15 elements: long list header
  for (int i = 0; i < 20; ++i) w.Binary(std::string(static_cast<size_t>(i), 'x'));
  w.FieldI16(300, -7);
  w.EndStruct();

  CompactReader r(U8(buf), buf.size());
  ASSERT_TRUE(r.BeginStruct().ok());
  Type t;
  int16_t id;
  int32_t i32;
  int64_t i64;
  bool b;
  std::string_view s;
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(id, 1);
  ASSERT_TRUE(r.ReadI32(t, &i32).ok());
  EXPECT_EQ(i32, std::numeric_limits<int32_t>::min());
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  ASSERT_TRUE(r.ReadI64(t, &i64).ok());
  EXPECT_EQ(i64, std::numeric_limits<int64_t>::max());
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  ASSERT_TRUE(r.ReadBool(t, &b).ok());
  EXPECT_TRUE(b);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  ASSERT_TRUE(r.ReadBool(t, &b).ok());
  EXPECT_FALSE(b);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  ASSERT_TRUE(r.ReadBinary(t, &s).ok());
  EXPECT_EQ(s, std::string_view("h\0llo", 5));
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(id, 40);
  ASSERT_TRUE(r.ReadStructBegin(t).ok());
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  ASSERT_TRUE(r.ReadI64(t, &i64).ok());
  EXPECT_EQ(i64, -1);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(t, Type::kStop);
  r.EndStruct();
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(id, 41);
  Type elem;
  uint32_t n;
  ASSERT_TRUE(r.ReadListHeader(t, &elem, &n).ok());
  ASSERT_EQ(n, 20u);
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_TRUE(r.ReadElemBinary(&s).ok());
    EXPECT_EQ(s.size(), i);
  }
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(id, 300);
  int16_t i16;
  EXPECT_FALSE(CompactReader(U8(buf), buf.size()).ReadI32(t, &i32).ok());  // i16 is not an i32
  ASSERT_TRUE(r.ReadI16(t, &i16).ok());
  EXPECT_EQ(i16, -7);
  ASSERT_TRUE(r.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(t, Type::kStop);
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompact, SkipsEveryType) {
  // struct { 1: double, 2: map<i32,binary>{1:"a"}, 3: set<bool>{true,false}, 4: list<struct>{{}} ,
  //          5: byte }
  static const char kBuf[] =
      "\x17"
      "\0\0\0\0\0\0\xf0\x3f"  // double 1.0
      "\x1b"
      "\x01"
      "\x58"
      "\x02"
      "\x01"
      "a"  // map size 1, i32->binary, key 1, "a"
      "\x1a"
      "\x21"
      "\x01"
      "\x02"  // set of 2 bools (1 byte each)
      "\x19"
      "\x1c"
      "\x00"  // list of 1 empty struct
      "\x13"
      "\x7f"  // byte
      "\x00";
  const std::string buf(kBuf, sizeof(kBuf) - 1);
  CompactReader r(U8(buf), buf.size());
  ASSERT_TRUE(r.Skip(Type::kStruct).ok());
  EXPECT_EQ(r.remaining(), 0u);
}

TEST(ThriftCompact, HostileInputIsRejected) {
  // Binary longer than the input.
  std::string a(
      "\x18\xff\xff\xff\x0f"
      "abc",
      8);
  CompactReader ra(U8(a), a.size());
  ASSERT_TRUE(ra.BeginStruct().ok());
  Type t;
  int16_t id;
  std::string_view s;
  ASSERT_TRUE(ra.ReadFieldHeader(&t, &id).ok());
  EXPECT_EQ(ra.ReadBinary(t, &s).code(), StatusCode::kCorruption);

  // List claiming 2^31 elements in 6 bytes.
  std::string b("\x19\xf5\xff\xff\xff\x07", 6);
  CompactReader rb(U8(b), b.size());
  EXPECT_EQ(rb.Skip(Type::kStruct).code(), StatusCode::kCorruption);

  // Nesting deeper than the limit.
  std::string c(100, '\x1c');  // field 1: struct, repeatedly
  CompactReader rc(U8(c), c.size());
  EXPECT_EQ(rc.Skip(Type::kStruct).code(), StatusCode::kCorruption);

  // Nested lists deeper than the limit.
  std::string d = "\x19";
  for (int i = 0; i < 100; ++i) d += "\x19";
  CompactReader rd(U8(d), d.size());
  EXPECT_EQ(rd.Skip(Type::kStruct).code(), StatusCode::kCorruption);

  // Overlong varint, i32 out of range, wrong wire type, truncation at every prefix.
  std::string e("\x15\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12);
  CompactReader re(U8(e), e.size());
  ASSERT_TRUE(re.BeginStruct().ok());
  ASSERT_TRUE(re.ReadFieldHeader(&t, &id).ok());
  int32_t v;
  EXPECT_FALSE(re.ReadI32(t, &v).ok());
  std::string f("\x15\x80\x80\x80\x80\x10", 6);  // i32 field holding 2^31
  CompactReader rf(U8(f), f.size());
  ASSERT_TRUE(rf.BeginStruct().ok());
  ASSERT_TRUE(rf.ReadFieldHeader(&t, &id).ok());
  EXPECT_FALSE(rf.ReadI32(t, &v).ok());
  std::string g("\x18\x01x", 3);  // binary read as i32
  CompactReader rg(U8(g), g.size());
  ASSERT_TRUE(rg.BeginStruct().ok());
  ASSERT_TRUE(rg.ReadFieldHeader(&t, &id).ok());
  EXPECT_FALSE(rg.ReadI32(t, &v).ok());

  std::string full;
  CompactWriter w(&full);
  w.BeginStruct();
  w.FieldI64(1, 123456789);
  w.FieldBinary(2, "payload");
  w.FieldListBegin(3, Type::kI32, 3);
  w.I32(1), w.I32(2), w.I32(3);
  w.EndStruct();
  for (size_t n = 0; n < full.size(); ++n) {
    CompactReader r(U8(full), n);
    EXPECT_FALSE(r.Skip(Type::kStruct).ok()) << n;
  }
  CompactReader ok(U8(full), full.size());
  EXPECT_TRUE(ok.Skip(Type::kStruct).ok());
}

}  // namespace
}  // namespace annal::storage::thrift
