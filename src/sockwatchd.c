/* sockwatchd: main() only; the daemon's life is in manager.c. */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("sockwatchd %s\n", SW_VERSION);
	return 0;
}
