#include "CThreadLocal.h"

// `nodebug` throughout: the DWARF 5 that clang writes for a thread-local variable makes valgrind
// 3.19 (Debian 12's) reject the whole binary's debug info and stop, and callgrind is how this
// project profiles. There is nothing here worth stepping through.
__attribute__((nodebug)) static __thread void *_Nullable buffer_cache = 0;
__attribute__((nodebug)) static __thread void *_Nullable thread_context = 0;

__attribute__((nodebug)) void *_Nullable swiftautograd_buffer_cache(void) { return buffer_cache; }
__attribute__((nodebug)) void swiftautograd_set_buffer_cache(void *_Nullable p) { buffer_cache = p; }
__attribute__((nodebug)) void *_Nullable swiftautograd_thread_context(void) { return thread_context; }
__attribute__((nodebug)) void swiftautograd_set_thread_context(void *_Nullable p) { thread_context = p; }
