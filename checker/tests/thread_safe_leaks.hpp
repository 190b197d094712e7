// For test groups whose searches run threads that allocate (split searches,
// replaying ahead): CppUTest's leak checker must then be thread safe.
// TEST_GROUP_BASE(Group, ThreadSafeLeakChecks) {}; Include after CppUTest.
#pragma once

#include <CppUTest/MemoryLeakWarningPlugin.h>

struct ThreadSafeLeakChecks : public Utest {
  void setup() override { MemoryLeakWarningPlugin::turnOnThreadSafeNewDeleteOverloads(); }
  void teardown() override { MemoryLeakWarningPlugin::turnOnDefaultNotThreadSafeNewDeleteOverloads(); }
};
