// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, as zlib/gzip): the checksum parquet-format
// specifies for PageHeader.crc, computed over the page bytes as stored (after compression).
#pragma once

#include <cstddef>
#include <cstdint>

namespace annal::storage::parquet {

uint32_t Crc32Ieee(const uint8_t* data, size_t n);

}  // namespace annal::storage::parquet
