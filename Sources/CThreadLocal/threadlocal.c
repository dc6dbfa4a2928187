#include "CThreadLocal.h"

static __thread void *_Nullable buffer_cache = 0;
static __thread void *_Nullable thread_context = 0;

void *_Nullable swiftautograd_buffer_cache(void) { return buffer_cache; }
void swiftautograd_set_buffer_cache(void *_Nullable p) { buffer_cache = p; }
void *_Nullable swiftautograd_thread_context(void) { return thread_context; }
void swiftautograd_set_thread_context(void *_Nullable p) { thread_context = p; }
