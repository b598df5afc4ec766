/*
 * bcryptprimitives.dll for Wine 8, which lacks it: Go's Windows runtime (1.24 on)
 * gets its random numbers from ProcessPrng there, which every Windows 10 and 11 has
 * and Wine has from 9.0 on. The tests copy this one into their Wine prefix's
 * system32 (wine-exec.sh); it is never part of what Daoli ships. It draws on
 * RtlGenRandom, Wine's own source of random bytes.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n)
{
	while (n > 0) {
		ULONG chunk = n > 0x10000000 ? 0x10000000 : (ULONG)n;
		if (!RtlGenRandom(data, chunk))
			return FALSE;
		data += chunk;
		n -= chunk;
	}
	return TRUE;
}
