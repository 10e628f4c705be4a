/*
 * lsan-setuid.c -- linked into sluice-queue only.  sluice-queue runs
 * setuid/setgid sluiceq; LeakSanitizer cannot inspect a setuid process
 * (it is not dumpable) and would end every injection with exit 1, and a
 * setuid process ignores ASAN_OPTIONS.  So sanitizer builds of this one
 * program say detect_leaks=0 here; the queue code is leak-checked in the
 * unit tests and when run without setuid.  Ordinary builds: nothing.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SLUICE_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define SLUICE_ASAN 1
#endif

#ifdef SLUICE_ASAN
const char *__lsan_default_options(void);

const char *
__lsan_default_options(void)
{
	return "detect_leaks=0";
}
#else
typedef int lsan_setuid_unused;	/* ISO C forbids an empty file */
#endif
