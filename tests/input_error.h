// Assertion shared by the bad-input tests.
#pragma once
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "campscope/types.h"

namespace campscope::testing {

// The call must throw InputError whose single-line message starts with the file name and contains `detail`.
inline void expect_input_error(const std::function<void()>& call, const std::string& file, const std::string& detail) {
  try {
    call();
    ADD_FAILURE() << "no InputError for " << file << " (expected '" << detail << "')";
  } catch (const InputError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(file + ": ", 0), 0u) << message;
    EXPECT_NE(message.find(detail), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

}  // namespace campscope::testing
