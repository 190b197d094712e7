// The explored-state map: every key put in is found with its first value,
// no other key is, through many doublings and for the key that marks an
// empty slot.
#include "gmemcheck/checker/hash_map.hpp"

#include <cstdint>
#include <map>
#include <random>
#include <set>

// clang-format off
// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>
// clang-format on

namespace ck = gmemcheck::checker;

TEST_GROUP(HashMap){};

TEST(HashMap, FindsEveryKeyWithItsFirstValueThroughGrowth) {
  ck::HashMap<std::uint64_t> map;
  std::mt19937_64 rng(7);
  std::set<std::uint64_t> keys{0, 1, ~std::uint64_t{0}};
  while (keys.size() < 100'000) keys.insert(rng() & 0xffff'ffffull);  // narrow keys: some probe chains
  std::uint64_t bytes_before = map.bytes();
  for (std::uint64_t k : keys) {
    auto [value, fresh] = map.try_emplace(k, k * 3 + 1);
    CHECK(fresh);
    UNSIGNED_LONGLONGS_EQUAL(k * 3 + 1, *value);
  }
  LONGS_EQUAL(keys.size(), map.size());
  CHECK(map.bytes() > bytes_before);
  for (std::uint64_t k : keys) {
    auto [value, fresh] = map.try_emplace(k, 0);
    CHECK_FALSE(fresh);
    UNSIGNED_LONGLONGS_EQUAL(k * 3 + 1, *value);
    const std::uint64_t* found = map.find(k);
    CHECK(found != nullptr);
    UNSIGNED_LONGLONGS_EQUAL(k * 3 + 1, *found);
  }
  LONGS_EQUAL(keys.size(), map.size());
  int absent = 0;
  for (int i = 0; i < 10'000; ++i) {
    std::uint64_t k = rng() & 0xffff'ffffull;
    if (keys.count(k)) continue;
    ++absent;
    CHECK(map.find(k) == nullptr);
  }
  CHECK(absent > 9'000);
}

TEST(HashMap, ValuesChangeInPlace) {
  ck::HashMap<int> map;
  CHECK(map.find(0) == nullptr);
  *map.try_emplace(0, 1).first += 10;
  *map.try_emplace(42, 2).first += 20;
  LONGS_EQUAL(11, *map.find(0));
  LONGS_EQUAL(22, *map.find(42));
  LONGS_EQUAL(2, map.size());
}

// Two keys that start their probes at one slot with one tag byte (the 7
// bits of their mix the map keeps beside each slot): the tag matches, so
// the keys themselves must be compared.
TEST(HashMap, KeysThatShareASlotAndATagStayApart) {
  const std::uint64_t slot_bits = (1u << 10) - 1;  // a new map's slots
  auto signature = [&](std::uint64_t k) {
    const std::uint64_t m = ck::mix64(k);
    return (m & slot_bits) | (m >> 57) << 10;
  };
  std::map<std::uint64_t, std::uint64_t> first_with;
  std::uint64_t a = 0, b = 0;
  for (std::uint64_t k = 1; b == 0; ++k) {
    auto [it, fresh] = first_with.try_emplace(signature(k), k);
    if (!fresh) a = it->second, b = k;
  }
  ck::HashMap<int> map;
  map.try_emplace(a, 1);
  CHECK(map.find(b) == nullptr);
  auto [value, fresh] = map.try_emplace(b, 2);
  CHECK(fresh);
  LONGS_EQUAL(2, *value);
  LONGS_EQUAL(1, *map.find(a));
  LONGS_EQUAL(2, *map.find(b));
  LONGS_EQUAL(2, map.size());
}
