// Command linestat counts the lines, words and bytes of each input file and checksums it.
//
// The example of a C program (clang and wasi-libc) over a folder of files. Its input
// is the file /input, or every file under the directory /input; with a directory
// /output it writes one NAME.stat per file and summary.txt there, else the table on
// standard output.
//
//	linestat      (input: the file or directory /input)
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct stat_line {
	char *name;
	uint64_t lines, words, bytes;
	uint32_t crc;
};

static struct stat_line *files;
static size_t nfiles, capfiles;

static uint32_t crc_table[256];

static void crc_init(void) {
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static int count_file(const char *path, const char *name) {
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "linestat: open %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat_line s = {0};
	s.name = strdup(name);
	uint32_t crc = 0xFFFFFFFFu;
	int inword = 0;
	static unsigned char buf[65536]; // not on the stack: wasi-libc's is 64 KiB
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		for (size_t i = 0; i < n; i++) {
			unsigned char c = buf[i];
			crc = crc_table[(crc ^ c) & 0xFF] ^ (crc >> 8);
			if (c == '\n')
				s.lines++;
			int space = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
			if (!space && !inword)
				s.words++;
			inword = !space;
		}
		s.bytes += n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "linestat: read %s failed\n", path);
		return -1;
	}
	s.crc = crc ^ 0xFFFFFFFFu;
	if (nfiles == capfiles) {
		capfiles = capfiles ? 2 * capfiles : 16;
		files = realloc(files, capfiles * sizeof *files);
		if (!files) {
			fputs("linestat: out of memory\n", stderr);
			exit(1);
		}
	}
	files[nfiles++] = s;
	return 0;
}

// walk counts every regular file under dir; name is its path relative to /input.
static int walk(const char *dir, const char *rel) {
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "linestat: open directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	struct dirent *e;
	int rc = 0;
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char path[4096], name[4096];
		snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		snprintf(name, sizeof name, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
		struct stat st;
		if (stat(path, &st) != 0) {
			fprintf(stderr, "linestat: stat %s: %s\n", path, strerror(errno));
			rc = -1;
		} else if (S_ISDIR(st.st_mode)) {
			rc |= walk(path, name);
		} else if (S_ISREG(st.st_mode)) {
			rc |= count_file(path, name);
		}
	}
	closedir(d);
	return rc;
}

static int by_name(const void *a, const void *b) {
	return strcmp(((const struct stat_line *)a)->name, ((const struct stat_line *)b)->name);
}

static void print_line(FILE *out, const struct stat_line *s) {
	fprintf(out, "%llu %llu %llu %08x %s\n", (unsigned long long)s->lines,
	        (unsigned long long)s->words, (unsigned long long)s->bytes, s->crc, s->name);
}

int main(void) {
	crc_init();
	struct stat st;
	if (stat("/input", &st) != 0) {
		fprintf(stderr, "linestat: no input: %s\n", strerror(errno));
		return 2;
	}
	if ((S_ISDIR(st.st_mode) ? walk("/input", "") : count_file("/input", "input")) != 0)
		return 1;
	qsort(files, nfiles, sizeof *files, by_name);
	struct stat_line total = {.name = "total"};
	for (size_t i = 0; i < nfiles; i++) {
		total.lines += files[i].lines;
		total.words += files[i].words;
		total.bytes += files[i].bytes;
	}
	FILE *out = stdout;
	struct stat od;
	int tree = stat("/output", &od) == 0 && S_ISDIR(od.st_mode);
	if (tree) {
		for (size_t i = 0; i < nfiles; i++) {
			char path[4096];
			// One flat file per input: the path's slashes become underscores.
			snprintf(path, sizeof path, "/output/%s.stat", files[i].name);
			for (char *p = path + strlen("/output/"); *p; p++)
				if (*p == '/')
					*p = '_';
			FILE *f = fopen(path, "w");
			if (!f) {
				fprintf(stderr, "linestat: create %s: %s\n", path, strerror(errno));
				return 1;
			}
			print_line(f, &files[i]);
			if (fclose(f) != 0) {
				fprintf(stderr, "linestat: write %s: %s\n", path, strerror(errno));
				return 1;
			}
		}
		out = fopen("/output/summary.txt", "w");
		if (!out) {
			fprintf(stderr, "linestat: create /output/summary.txt: %s\n", strerror(errno));
			return 1;
		}
	}
	fprintf(out, "lines words bytes crc32 name\n");
	for (size_t i = 0; i < nfiles; i++)
		print_line(out, &files[i]);
	total.crc = 0;
	fprintf(out, "%llu %llu %llu - total (%zu files)\n", (unsigned long long)total.lines,
	        (unsigned long long)total.words, (unsigned long long)total.bytes, nfiles);
	if (tree && fclose(out) != 0) {
		fprintf(stderr, "linestat: write summary: %s\n", strerror(errno));
		return 1;
	}
	if (tree)
		printf("%zu files, %llu lines\n", nfiles, (unsigned long long)total.lines);
	return 0;
}
