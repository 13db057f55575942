// A minimal std::expected stand-in (C++23's is not in GCC 12 with -std=c++20).
//
// Expected outcomes (a compacted index, a dropped proposal) are values, not exceptions: the
// consensus core never throws. Accessing the wrong alternative is a broken invariant and aborts.
#pragma once

#include <utility>
#include <variant>

#include "common/assert.h"

namespace regent {

template <class E>
struct Unexpected {
  E error;
};

template <class E>
Unexpected<E> unexpected(E e) {
  return Unexpected<E>{std::move(e)};
}

template <class T, class E>
class Expected {
 public:
  Expected(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Expected(Unexpected<E> u) : v_(std::in_place_index<1>, std::move(u.error)) {}  // NOLINT

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    REGENT_ASSERT(has_value(), "Expected holds an error");
    return std::get<0>(v_);
  }
  const T& value() const& {
    REGENT_ASSERT(has_value(), "Expected holds an error");
    return std::get<0>(v_);
  }
  T&& value() && {
    REGENT_ASSERT(has_value(), "Expected holds an error");
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const E& error() const {
    REGENT_ASSERT(!has_value(), "Expected holds a value");
    return std::get<1>(v_);
  }

  T value_or(T fallback) const { return has_value() ? std::get<0>(v_) : std::move(fallback); }

 private:
  std::variant<T, E> v_;
};

// The outcome of an operation that returns nothing: success, or why it failed.
template <class E>
class Expected<void, E> {
 public:
  Expected() = default;
  Expected(Unexpected<E> u) : error_(std::move(u.error)), failed_(true) {}  // NOLINT

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }

  const E& error() const {
    REGENT_ASSERT(failed_, "Expected holds a value");
    return error_;
  }

 private:
  E error_{};
  bool failed_ = false;
};

}  // namespace regent
