// The only place that knows about Boost.Context. A Coroutine runs one thread
// body on its own stack; stacks are allocated once and reused by every
// execution. No exception crosses a context switch: the body's exceptions are
// caught at the fiber entry and handed back as a string. A paused body that is
// abandoned is not unwound: it must hold no resource-owning object across a
// pause.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "gmemcheck/checker/program.hpp"

namespace gmemcheck::checker {

class Coroutine final : public Yield {
 public:
  using Body = void (*)(void* arg, Yield& y);

  explicit Coroutine(std::size_t stack_bytes = 256 * 1024);
  Coroutine(const Coroutine&) = delete;
  Coroutine& operator=(const Coroutine&) = delete;

  // Starts the body and runs it to its first pause (or its end).
  void start(Body body, void* arg);
  // Runs the body from its last pause to the next one; false once it returned.
  bool resume();
  bool finished() const { return finished_; }
  // Forgets a body that is still paused (an execution stopped early).
  void abandon();
  // Set when the body threw: the checker reports it as an internal error.
  const std::string& error() const { return error_; }

  // A paused (or finished) coroutine as it is now: its context and the part
  // of its stack in use. Put back on the same stack, it resumes from the
  // same point; its body must keep nothing outside the program and its
  // stack that changed meanwhile.
  struct Image {
    std::vector<char> stack;  // [context, top of the stack)
    void* self = nullptr;
    bool finished = true;
  };
  void save(Image& image) const;
  void restore(const Image& image);
  // restore() for a stack that still holds the image (its body has not run
  // since it was saved): only where it continues.
  void restore_context(const Image& image);

  void pause() override;

 private:
  friend struct CoroutineEntry;
  char* stack_top() const { return stack_.get() + stack_bytes_; }

  std::unique_ptr<char[]> stack_;
  std::size_t stack_bytes_;
  Body body_ = nullptr;
  void* arg_ = nullptr;
  bool finished_ = true;
  void* self_ = nullptr;    // where the body continues (a Boost.Context handle)
  void* caller_ = nullptr;  // where the scheduler continues
  std::string error_;
};

}  // namespace gmemcheck::checker
