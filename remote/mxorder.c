/*
 * mxorder.c -- MX ordering and loop avoidance (mxorder.h).
 */
#include "mxorder.h"

void
mx_sort(struct mxrec *mx, size_t n, const unsigned int *rnd)
{
	unsigned int key[MX_MAX];
	size_t i, j;

	if (n > MX_MAX)
		n = MX_MAX;
	for (i = 0; i < n; i++)
		key[i] = rnd[i];
	/* insertion sort: n is at most MX_MAX */
	for (i = 1; i < n; i++) {
		struct mxrec m = mx[i];
		unsigned int k = key[i];

		for (j = i; j > 0 && (mx[j - 1].pref > m.pref ||
		    (mx[j - 1].pref == m.pref && key[j - 1] > k)); j--) {
			mx[j] = mx[j - 1];
			key[j] = key[j - 1];
		}
		mx[j] = m;
		key[j] = k;
	}
}

int
mx_is_null(const struct mxrec *mx, size_t n)
{
	return n == 1 && mx[0].host[0] == 0;
}

size_t
mx_drop_empty(struct mxrec *mx, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (mx[i].host[0])
			mx[k++] = mx[i];
	return k;
}

size_t
mx_usable(const struct mxrec *mx, size_t n, const int *self)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (self[i])
			break;
	if (i == n)
		return n;
	/* stop before the first entry as preferred as this host */
	while (i > 0 && mx[i - 1].pref >= mx[i].pref)
		i--;
	return i;
}
