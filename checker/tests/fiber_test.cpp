// Coroutines: what a body sees across pauses, and across being put back
// where it was saved.
#include "gmemcheck/checker/fiber.hpp"

#include <string>

// Included last: CppUTest's leak detector redefines `new` for what follows.
#include <CppUTest/TestHarness.h>

namespace ck = gmemcheck::checker;

namespace {

// Counts its pauses on its own stack, and writes the count out at each one.
struct Counter {
  int seen = 0;
  int limit = 0;
};

void count_pauses(void* arg, ck::Yield& y) {
  auto* c = static_cast<Counter*>(arg);
  for (int local = 1; local <= c->limit; ++local) {
    c->seen = local;
    y.pause();
  }
  c->seen = -c->seen;  // finished
}

}  // namespace

TEST_GROUP(Coroutine){};

TEST(Coroutine, ResumesWhereItPaused) {
  Counter c{0, 3};
  ck::Coroutine co;
  co.start(&count_pauses, &c);
  CHECK_EQUAL(1, c.seen);
  CHECK_TRUE(co.resume());
  CHECK_EQUAL(2, c.seen);
  CHECK_TRUE(co.resume());
  CHECK_EQUAL(3, c.seen);
  CHECK_FALSE(co.resume());
  CHECK_EQUAL(-3, c.seen);
  CHECK_TRUE(co.finished());
}

// Put back, a coroutine resumes from where it was saved: its locals (the
// count) come back with its stack. A stack not run on since the image was
// saved needs only its context back (an execution's end forgets them all).
TEST(Coroutine, RestoredResumesFromTheSavedPause) {
  Counter c{0, 3};
  ck::Coroutine co(64 * 1024);
  co.start(&count_pauses, &c);
  ck::Coroutine::Image first;
  co.save(first);
  co.abandon();
  CHECK_TRUE(co.finished());
  co.restore_context(first);
  CHECK_FALSE(co.finished());
  CHECK_TRUE(co.resume());
  CHECK_EQUAL(2, c.seen);
  CHECK_TRUE(co.resume());
  CHECK_FALSE(co.resume());
  CHECK_EQUAL(-3, c.seen);
  ck::Coroutine::Image finished;
  co.save(finished);
  for (int round = 0; round < 2; ++round) {
    co.restore(first);
    CHECK_FALSE(co.finished());
    CHECK_TRUE(co.resume());
    CHECK_EQUAL(2, c.seen);  // the local count was 1 again
    co.abandon();
  }
  co.restore(finished);
  CHECK_TRUE(co.finished());
  // Started again after it was abandoned mid-body: from the beginning.
  Counter again{0, 2};
  co.start(&count_pauses, &again);
  CHECK_TRUE(co.resume());
  CHECK_FALSE(co.resume());
  CHECK_EQUAL(-2, again.seen);
  CHECK_EQUAL(std::string(), co.error());
}
