#include "gmemcheck/checker/fiber.hpp"

#include <boost/context/detail/fcontext.hpp>
#include <exception>
#include <memory>

#include "gmemcheck/checker/prefetch.hpp"

namespace gmemcheck::checker {

namespace bcd = boost::context::detail;

// Boost.Context's fcontext layer: a context is a plain handle, so an execution
// that stops early simply forgets its paused threads and reuses their stacks.
// Unwinding them instead (what boost::context::fiber does on destruction)
// costs an exception per abandoned thread, several times the cost of the
// execution itself when the state cache cuts most executions short. The price:
// a thread body must not keep an object that owns resources alive across a
// pause (the model's paths hold only plain values and references there).
struct Coroutine::Impl {
  std::unique_ptr<char[]> stack;
  std::size_t size = 0;
  bcd::fcontext_t self = nullptr;    // where the body continues
  bcd::fcontext_t caller = nullptr;  // where the scheduler continues
  Body body = nullptr;
  void* arg = nullptr;
};

struct CoroutineEntry {
  [[noreturn]] static void run(bcd::transfer_t from) {
    auto* co = static_cast<Coroutine*>(from.data);
    co->impl_->caller = from.fctx;
    try {
      co->impl_->body(co->impl_->arg, *co);
    } catch (const std::exception& e) {
      co->error_ = e.what();
    } catch (...) {
      co->error_ = "unknown exception in a thread body";
    }
    co->finished_ = true;
    bcd::jump_fcontext(co->impl_->caller, nullptr);
    std::terminate();  // a finished coroutine is never resumed
  }
};

Coroutine::Coroutine(std::size_t stack_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->stack = std::make_unique_for_overwrite<char[]>(stack_bytes);  // untouched pages stay unmapped
  impl_->size = stack_bytes;
  stack_top_ = impl_->stack.get() + stack_bytes;
}

Coroutine::~Coroutine() = default;

void Coroutine::start(Body body, void* arg) {
  impl_->body = body;
  impl_->arg = arg;
  finished_ = false;
  error_.clear();
  // Stacks grow down on every target we build for: the context starts at the top.
  impl_->self = bcd::make_fcontext(impl_->stack.get() + impl_->size, impl_->size, &CoroutineEntry::run);
  resume();
}

bool Coroutine::resume() {
  bcd::transfer_t t = bcd::jump_fcontext(impl_->self, this);
  impl_->self = t.fctx;
  return !finished_;
}

void Coroutine::pause() {
  bcd::transfer_t t = bcd::jump_fcontext(impl_->caller, nullptr);
  impl_->caller = t.fctx;
}

void Coroutine::prefetch(std::size_t bytes) const {
  prefetch_for_write(&finished_, kCacheLine);  // and error_, on the same line
  prefetch_for_write(impl_.get(), sizeof *impl_);
  prefetch_for_write(stack_top_ - bytes, bytes);
}

void Coroutine::abandon() {
  finished_ = true;
  impl_->self = nullptr;
}

}  // namespace gmemcheck::checker
