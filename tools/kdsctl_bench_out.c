// SPDX-License-Identifier: GPL-2.0
/*
 * kdsctl bench - messages and output: the notes, each figure as a
 * line of the table, TSV or JSON, and the progress lines on stderr.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kdsctl_bench_out.h"

/* ---- messages and output ------------------------------------------------- */

static void fmt_u64(char *buf, size_t size, uint64_t v, bool na)
{
	if (na)
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static void fmt_val(char *buf, size_t size, double v, bool na,
		    const char *unit)
{
	if (na)
		snprintf(buf, size, "n/a");
	else if (!strcmp(unit, "x"))
		snprintf(buf, size, "%.2f", v);
	else if (v >= 100000)
		snprintf(buf, size, "%.0f", v);
	else
		snprintf(buf, size, "%.1f", v);
}

/* JSON string: the notes are ours, but quote what needs quoting. */
static void json_str(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putc('\\', f);
		if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			putc(*s, f);
	}
	putc('"', f);
}

/* A line that is not a figure: why something was skipped, and the like. */
void note(struct bench *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	switch (b->format) {
	case FMT_TSV:
		printf("#note\t%s\n", msg);
		break;
	case FMT_JSON:
		fputs("{\"note\":", stdout);
		json_str(stdout, msg);
		puts("}");
		break;
	default:
		printf("note: %s\n", msg);
		break;
	}
	fflush(stdout);
}

void skip(struct bench *b, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	b->skipped++;
	note(b, "skipped: %s", msg);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

void fig_stats(const struct fig *f, double *min, double *median)
{
	double v[MAX_SAMPLES];
	unsigned int n = f->nv;

	memcpy(v, f->v, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_double);
	*min = v[0];
	*median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void print_header(struct bench *b)
{
	if (b->header_done)
		return;
	b->header_done = true;
	if (b->format == FMT_TSV)
		puts("#what\tbackend\tn\tvalue_size\tbatch\torder\tthreads"
		     "\tunit\tmin\tmedian\tsamples\tops\tnote");
	else if (b->format == FMT_TABLE)
		printf("%-16s %-9s %8s %5s %5s %-5s %3s %10s %10s %-7s %s\n",
		       "what", "backend", "N", "value", "batch", "order",
		       "thr", "min", "median", "unit", "note");
}

void emit(struct bench *b, struct fig *f)
{
	char n[24], vs[16], bt[16], mn[32], md[32];
	bool na = f->failed || !f->nv;
	double min = 0, median = 0;

	if (!na)
		fig_stats(f, &min, &median);
	if (f->failed)
		b->failed++;
	else if (na)
		b->skipped++;
	else
		b->produced++;
	fmt_u64(n, sizeof(n), f->n, !f->n);
	fmt_u64(vs, sizeof(vs), f->vsize, f->vsize == UINT32_MAX);
	fmt_u64(bt, sizeof(bt), f->batch, !f->batch);
	fmt_val(mn, sizeof(mn), min, na, f->unit);
	fmt_val(md, sizeof(md), median, na, f->unit);
	print_header(b);
	switch (b->format) {
	case FMT_TSV:
		printf("%s\t%s\t%s\t%s\t%s\t%s\t%u\t%s\t%s\t%s\t%u\t%" PRIu64 "\t%s\n",
		       f->what, f->backend, n, vs, bt, f->order, f->threads,
		       f->unit, mn, md, f->nv, f->ops, f->note);
		break;
	case FMT_JSON:
		fputs("{\"what\":", stdout);
		json_str(stdout, f->what);
		fputs(",\"backend\":", stdout);
		json_str(stdout, f->backend);
		printf(",\"n\":%s,\"value_size\":%s,\"batch\":%s,\"order\":",
		       f->n ? n : "null", f->vsize == UINT32_MAX ? "null" : vs,
		       f->batch ? bt : "null");
		json_str(stdout, f->order);
		printf(",\"threads\":%u,\"unit\":", f->threads);
		json_str(stdout, f->unit);
		printf(",\"min\":%s,\"median\":%s,\"samples\":%u,\"ops\":%" PRIu64
		       ",\"note\":", na ? "null" : mn, na ? "null" : md, f->nv,
		       f->ops);
		json_str(stdout, f->note);
		puts("}");
		break;
	default:
		printf("%-16s %-9s %8s %5s %5s %-5s %3u %10s %10s %-7s %s\n",
		       f->what, f->backend, n, vs, bt, f->order, f->threads,
		       mn, md, f->unit, f->note);
		break;
	}
	fflush(stdout);
}

void fig_init(struct fig *f, const char *what, const char *backend,
	      uint64_t n, uint32_t vsize, uint32_t batch,
	      const char *order, uint64_t ops)
{
	memset(f, 0, sizeof(*f));
	f->what = what;
	f->backend = backend;
	f->n = n;
	f->vsize = vsize;
	f->batch = batch;
	f->order = order;
	f->threads = 1;
	f->unit = "ns/op";
	f->ops = ops;
}

void fig_fail(struct fig *f, const char *fmt, ...)
{
	va_list ap;

	if (f->failed)
		return;
	f->failed = true;
	va_start(ap, fmt);
	vsnprintf(f->note, sizeof(f->note), fmt, ap);
	va_end(ap);
}

void progress(struct bench *b, const char *fmt, ...)
{
	uint64_t now = bench_now_ns();
	char msg[160];
	va_list ap;

	if (b->quiet || now - b->last_progress < PROGRESS_NS)
		return;
	b->last_progress = now;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (b->steps)
		fprintf(stderr, "%s: [%3u%%] step %u/%u, %.0fs: %s\n",
			BENCH_PROG, 100 * b->step / b->steps, b->step,
			b->steps, (double)(now - b->started) / 1e9, msg);
	else
		fprintf(stderr, "%s: [%.0fs] %s\n", BENCH_PROG,
			(double)(now - b->started) / 1e9, msg);
}

const char *order_name(int order)
{
	return order == BENCH_SEQ ? "seq" : "rand";
}

const char *errtext(int err)
{
	return strerror(err < 0 ? -err : err);
}
