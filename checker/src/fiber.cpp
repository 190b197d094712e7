#include "gmemcheck/checker/fiber.hpp"

#include <boost/context/fiber.hpp>
#include <boost/context/stack_context.hpp>
#include <exception>
#include <memory>

namespace gmemcheck::checker {

namespace ctx = boost::context;

namespace {

// Hands out the coroutine's one stack again and again: a new execution starts
// its threads without allocating.
struct ReusedStack {
  char* base;
  std::size_t size;
  ctx::stack_context allocate() {
    ctx::stack_context sc;
    sc.size = size;
    sc.sp = base + size;  // stacks grow down on every target we build for
    return sc;
  }
  void deallocate(ctx::stack_context&) noexcept {}
};

}  // namespace

struct Coroutine::Impl {
  std::unique_ptr<char[]> stack;
  std::size_t size = 0;
  ctx::fiber self;  // the body, as seen from the scheduler
  ctx::fiber sink;  // the scheduler, as seen from the body
  Body body = nullptr;
  void* arg = nullptr;
};

Coroutine::Coroutine(std::size_t stack_bytes) : impl_(std::make_unique<Impl>()) {
  impl_->stack = std::make_unique<char[]>(stack_bytes);
  impl_->size = stack_bytes;
}

Coroutine::~Coroutine() { abandon(); }

void Coroutine::start(Body body, void* arg) {
  abandon();
  impl_->body = body;
  impl_->arg = arg;
  finished_ = false;
  error_.clear();
  impl_->self = ctx::fiber(std::allocator_arg, ReusedStack{impl_->stack.get(), impl_->size},
                           [this](ctx::fiber&& sink) {
                             impl_->sink = std::move(sink);
                             try {
                               impl_->body(impl_->arg, *this);
                             } catch (const ctx::detail::forced_unwind&) {
                               throw;  // abandon(): let Boost unwind the stack
                             } catch (const std::exception& e) {
                               error_ = e.what();
                             } catch (...) {
                               error_ = "unknown exception in a thread body";
                             }
                             finished_ = true;
                             return std::move(impl_->sink);
                           });
  resume();
}

bool Coroutine::resume() {
  impl_->self = std::move(impl_->self).resume();
  return !finished_;
}

void Coroutine::pause() { impl_->sink = std::move(impl_->sink).resume(); }

void Coroutine::abandon() {
  if (!finished_) {
    impl_->self = ctx::fiber{};  // destroying a paused fiber unwinds its stack
    finished_ = true;
  }
}

}  // namespace gmemcheck::checker
