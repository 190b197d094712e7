#include "gmemcheck/checker/fiber.hpp"

#include <algorithm>
#include <boost/context/detail/fcontext.hpp>
#include <exception>
#include <memory>
#include <type_traits>

namespace gmemcheck::checker {

namespace bcd = boost::context::detail;

// Boost.Context's fcontext layer: a context is a plain handle, so an execution
// that stops early simply forgets its paused threads and reuses their stacks.
// Unwinding them instead (what boost::context::fiber does on destruction)
// costs an exception per abandoned thread, several times the cost of the
// execution itself when the state cache cuts most executions short. The price:
// a thread body must not keep an object that owns resources alive across a
// pause (the model's paths hold only plain values and references there).
static_assert(std::is_same_v<bcd::fcontext_t, void*>, "the contexts are kept as void* in fiber.hpp");

struct CoroutineEntry {
  [[noreturn]] static void run(bcd::transfer_t from) {
    auto* co = static_cast<Coroutine*>(from.data);
    co->caller_ = from.fctx;
    try {
      co->body_(co->arg_, *co);
    } catch (const std::exception& e) {
      co->error_ = e.what();
    } catch (...) {
      co->error_ = "unknown exception in a thread body";
    }
    co->finished_ = true;
    bcd::jump_fcontext(co->caller_, nullptr);
    std::terminate();  // a finished coroutine is never resumed
  }
};

Coroutine::Coroutine(std::size_t stack_bytes)
    : stack_(std::make_unique_for_overwrite<char[]>(stack_bytes)),  // untouched pages stay unmapped
      stack_bytes_(stack_bytes) {}

void Coroutine::start(Body body, void* arg) {
  body_ = body;
  arg_ = arg;
  finished_ = false;
  error_.clear();
  // Stacks grow down on every target we build for: the context starts at the top.
  self_ = bcd::make_fcontext(stack_top(), stack_bytes_, &CoroutineEntry::run);
  resume();
}

bool Coroutine::resume() {
  bcd::transfer_t t = bcd::jump_fcontext(self_, this);
  self_ = t.fctx;
  return !finished_;
}

void Coroutine::pause() {
  bcd::transfer_t t = bcd::jump_fcontext(caller_, nullptr);
  caller_ = t.fctx;
}

void Coroutine::save(Image& image) const {
  image.finished = finished_;
  image.self = self_;
  const char* top = stack_top();
  const char* from = finished_ ? top : static_cast<const char*>(self_);
  image.stack.assign(from, top);
}

void Coroutine::restore(const Image& image) {
  restore_context(image);
  std::copy(image.stack.begin(), image.stack.end(), stack_top() - image.stack.size());
}

void Coroutine::restore_context(const Image& image) {
  finished_ = image.finished;
  self_ = image.self;
  // caller_ is set again as the body resumes (see pause()).
}

void Coroutine::abandon() {
  finished_ = true;
  self_ = nullptr;
}

}  // namespace gmemcheck::checker
