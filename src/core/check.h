#pragma once

#include <cstdio>
#include <cstdlib>

// DOTHI_CHECK / DOTHI_DCHECK guard programmer errors only, never user input.
#define DOTHI_CHECK(cond)                                                             \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);   \
      std::abort();                                                                   \
    }                                                                                 \
  } while (0)

#ifdef NDEBUG
#define DOTHI_DCHECK(cond) \
  do {                     \
  } while (0)
#else
#define DOTHI_DCHECK(cond) DOTHI_CHECK(cond)
#endif
