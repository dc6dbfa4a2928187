#ifndef CTHREADLOCAL_H
#define CTHREADLOCAL_H

// The per-thread objects of the library (Arena's buffer cache, Autograd's thread context), found
// through a C thread-local variable: reading one is a load relative to the thread pointer in a
// small C function, where pthread_getspecific is a call into libc plus a lazy-global check for
// its key in Swift, three times per tensor op. The objects still register with a pthread key,
// whose destructor frees them when the thread ends and clears the variable here.
//
// Functions, since Swift does not import thread-local variables.

void *_Nullable swiftautograd_buffer_cache(void);
void swiftautograd_set_buffer_cache(void *_Nullable p);
void *_Nullable swiftautograd_thread_context(void);
void swiftautograd_set_thread_context(void *_Nullable p);

#endif
