#include "core/validation.h"

#include <gtest/gtest.h>

#include <string>

namespace annal {
namespace {

TEST(Validation, EventType) {
  for (const char* ok : {"user.created", "a", "order_v2.shipped", "x9"}) EXPECT_TRUE(ValidateEventType(ok).ok()) << ok;
  for (const char* bad : {"", ".user", "user.", "user..created", "User.Created", "user-created", "user created"})
    EXPECT_EQ(ValidateEventType(bad).code(), StatusCode::kInvalidArgument) << bad;
  EXPECT_FALSE(ValidateEventType(std::string(129, 'a')).ok());
  EXPECT_TRUE(ValidateEventType(std::string(128, 'a')).ok());
  EXPECT_FALSE(ValidateEventType("_system.checkpoint").ok());
  EXPECT_TRUE(ValidateEventType("_system.checkpoint", /*allow_reserved=*/true).ok());
}

TEST(Validation, EntityId) {
  for (const char* ok : {"user-1", "Order 42", "ü", "a/b:c"}) EXPECT_TRUE(ValidateEntityId(ok).ok()) << ok;
  for (const char* bad : {"", " lead", "trail ", "tab\there", "nl\n"}) EXPECT_FALSE(ValidateEntityId(bad).ok()) << bad;
  EXPECT_FALSE(ValidateEntityId(std::string(129, 'e')).ok());
}

TEST(Validation, TenantId) {
  for (const char* ok : {"default", "Acme_Corp-1"}) EXPECT_TRUE(ValidateTenantId(ok).ok()) << ok;
  for (const char* bad : {"", "acme corp", "acme.corp", "ü"}) EXPECT_FALSE(ValidateTenantId(bad).ok()) << bad;
  EXPECT_FALSE(ValidateTenantId(std::string(65, 't')).ok());
}

}  // namespace
}  // namespace annal
