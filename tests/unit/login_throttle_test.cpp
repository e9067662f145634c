// Login throttling with device cookies (core/throttle.h) over a real SQLite
// file: which buckets an attempt is charged to and held by. An untrusted
// attempt is held by its address, pair and account buckets; one with a valid
// device cookie for the account only by its device bucket and the account
// bucket, and a device that filled its own bucket counts as untrusted again.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/throttle.h"
#include "migrated_db.h"

namespace chat {
namespace {

constexpr int64_t kNow = 1'800'000'000'000;

class LoginThrottleTest : public MigratedDbTest {
 protected:
  LoginThrottleTest() : MigratedDbTest("throttle") {}
  void SetUp() override {
    config_.synchronous = "NORMAL";
    config_.login_pair_burst = 2;
    config_.login_address_burst = 3;
    config_.login_account_burst = 5;
    config_.login_window_ms = 3600 * 1000;
    MigratedDbTest::SetUp();
  }

  // Charges one attempt; true when it may go on. `*trusted` says whether it
  // was still counted as the device's after the charge.
  bool Charge(LoginAttempt a, bool* trusted = nullptr) {
    Status s = ChargeLoginAttempt(*db_, config_, a, kNow);
    if (trusted) *trusted = !a.device.empty();
    return !s;
  }
  void Refund(const LoginAttempt& a) {
    Transaction tx(*db_);
    RefundLoginAttempt(*db_, config_, a, kNow);
    tx.Commit();
  }
};

TEST_F(LoginThrottleTest, DeviceCookiePassesAnAddressFilledByOthers) {
  for (const char* other : {"ann", "ben", "cid"}) EXPECT_TRUE(Charge({other, "10.0.0.1", ""}));
  EXPECT_FALSE(Charge({"owner", "10.0.0.1", ""})) << "the address is full";
  EXPECT_FALSE(Charge({"", "10.0.0.1", "dev"})) << "a device counts only for an account";
  bool trusted = false;
  EXPECT_TRUE(Charge({"owner", "10.0.0.1", "dev"}, &trusted));
  EXPECT_TRUE(trusted);
}

TEST_F(LoginThrottleTest, DeviceFailuresGoToTheDeviceNotTheAddress) {
  const std::vector<std::pair<LoginAttempt, bool>> steps = {
      {{"owner", "10.0.0.2", "dev"}, true},   // device 1/2
      {{"owner", "10.0.0.2", "dev"}, true},   // device 2/2
      {{"owner", "10.0.0.2", ""}, true},      // the address and pair are untouched
      {{"owner", "10.0.0.2", ""}, true},      // pair 2/2
      {{"owner", "10.0.0.2", ""}, false},     // pair full
      {{"owner", "10.0.0.2", "dev"}, false},  // device full: untrusted, and the pair is full
  };
  for (size_t i = 0; i < steps.size(); ++i) EXPECT_EQ(Charge(steps[i].first), steps[i].second) << i;
}

TEST_F(LoginThrottleTest, LockedOutDeviceCountsAsUntrusted) {
  EXPECT_TRUE(Charge({"owner", "10.0.0.3", "dev"}));
  EXPECT_TRUE(Charge({"owner", "10.0.0.3", "dev"}));
  bool trusted = true;
  EXPECT_TRUE(Charge({"owner", "10.0.0.3", "dev"}, &trusted)) << "the untrusted buckets are empty";
  EXPECT_FALSE(trusted);
}

TEST_F(LoginThrottleTest, SuccessEmptiesTheDeviceBucket) {
  LoginAttempt a{"owner", "10.0.0.4", "dev"};
  EXPECT_TRUE(Charge(a));
  EXPECT_TRUE(Charge(a));
  Refund(a);
  bool trusted = false;
  EXPECT_TRUE(Charge(a, &trusted));
  EXPECT_TRUE(trusted) << "the device bucket was emptied";
}

TEST_F(LoginThrottleTest, AccountLimitStillHoldsATrustedDevice) {
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(Charge({"victim", "10.1.0." + std::to_string(i), ""}));
  EXPECT_FALSE(Charge({"victim", "10.2.0.1", "dev"}));
  EXPECT_TRUE(Charge({"bystander", "10.2.0.1", "dev2"})) << "other accounts are not affected";
}

}  // namespace
}  // namespace chat
