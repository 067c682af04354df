/* The CLI's one escaping of printed text (tools/common/escape.c): C0, DEL,
 * C1 and invalid UTF-8 made visible, everything else unchanged; the
 * buffer, heap, stream and error-line forms agree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../tools/common/escape.c"

/* Checks every form against `want`: the returned length, the heap string,
 * the stream and a buffer of exactly the right size. */
static void expect(const char *in, const char *want) {
  char *heap = dfsc__fe_escaped(in), *streamed = NULL, buf[512];
  size_t len = 0;
  FILE *f = open_memstream(&streamed, &len);

  assert_int_equal(dfsc__fe_escape(NULL, 0, in), strlen(want));
  assert_non_null(heap);
  assert_string_equal(heap, want);
  assert_non_null(f);
  dfsc__fe_put_escaped(f, in);
  assert_int_equal(fclose(f), 0);
  assert_string_equal(streamed, want);
  assert_true(strlen(want) < sizeof(buf));
  assert_int_equal(dfsc__fe_escape(buf, strlen(want) + 1, in), strlen(want));
  assert_string_equal(buf, want);
  free(heap);
  free(streamed);
}

static void test_plain_unchanged(void **state) {
  (void)state;
  expect("", "");
  expect("hello.txt", "hello.txt");
  expect("space name ~!@#$%^&*()", "space name ~!@#$%^&*()");
  /* Backslashes are UNC separators: never doubled. */
  expect("\\\\fs1\\data\\x", "\\\\fs1\\data\\x");
  /* Valid UTF-8 of every length passes, the code points next to C1 too:
   * U+007E, U+00A0, U+00FF, U+0100, U+20AC, U+1F600, U+10FFFF. */
  expect("~\xc2\xa0\xc3\xbf\xc4\x80\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
         "~\xc2\xa0\xc3\xbf\xc4\x80\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
  expect("Gr\xc3\xbc\xc3\x9f"
         "e.txt",
         "Gr\xc3\xbc\xc3\x9f"
         "e.txt");
}

static void test_c0_and_del(void **state) {
  char in[2] = {0, 0}, want[8];
  int c;

  (void)state;
  expect("a\tb\nc\rd", "a\\tb\\nc\\rd");
  expect("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m");
  expect("x\x7fy", "x\\x7fy");
  expect("\x01\x1f", "\\x01\\x1f");
  /* Every C0 byte and DEL, one at a time. */
  for (c = 1; c < 0x80; c++) {
    in[0] = (char)c;
    if (c == '\t')
      strcpy(want, "\\t");
    else if (c == '\n')
      strcpy(want, "\\n");
    else if (c == '\r')
      strcpy(want, "\\r");
    else if (c < 0x20 || c == 0x7f)
      snprintf(want, sizeof(want), "\\x%02x", c);
    else
      snprintf(want, sizeof(want), "%c", c);
    expect(in, want);
  }
}

static void test_c1(void **state) {
  char in[3] = {(char)0xc2, 0, 0}, want[8];
  int c;

  (void)state;
  expect("a\xc2\x9b"
         "2Jb",
         "a\\u009b2Jb");
  for (c = 0x80; c <= 0x9f; c++) {
    in[1] = (char)c;
    snprintf(want, sizeof(want), "\\u00%02x", c);
    expect(in, want);
  }
}

static void test_invalid_utf8(void **state) {
  (void)state;
  expect("a\xff"
         "b",
         "a\\xffb");
  /* Overlong, surrogate, above U+10FFFF, cut short, a lone continuation:
   * each byte on its own. */
  expect("\xc0\xaf", "\\xc0\\xaf");
  expect("\xc1\x9b", "\\xc1\\x9b"); /* overlong ESC-ish: no C1 either */
  expect("\xed\xa0\x80", "\\xed\\xa0\\x80");
  expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");
  expect("x\xe2\x82", "x\\xe2\\x82");
  expect("\x9b", "\\x9b");
  /* A cut sequence followed by a control: both visible. */
  expect("\xe2\x1b", "\\xe2\\x1b");
}

static void test_buffer_never_cut_inside(void **state) {
  char buf[8];

  (void)state;
  /* "ab\x1b" is "ab\\x1b" (6 chars): with room for 5, only "ab" fits. */
  memset(buf, 'Z', sizeof(buf));
  assert_int_equal(dfsc__fe_escape(buf, 6, "ab\x1b"), 6);
  assert_string_equal(buf, "ab");
  /* A multi-byte character is not split either. */
  assert_int_equal(dfsc__fe_escape(buf, 3, "a\xe2\x82\xac"), 4);
  assert_string_equal(buf, "a");
  assert_int_equal(dfsc__fe_escape(buf, 1, "abc"), 3);
  assert_string_equal(buf, "");
}

static void test_errf_line(void **state) {
  char line[256];
  int fds[2], saved;
  ssize_t n;

  (void)state;
  assert_int_equal(pipe(fds), 0);
  fflush(stderr);
  saved = dup(STDERR_FILENO);
  assert_true(saved >= 0);
  assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
  dfsc__fe_errf("%s: %s", "//fs1/data/x\x1b[2J\nforged", "STATUS_X");
  fflush(stderr);
  assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
  close(saved);
  close(fds[1]);
  n = read(fds[0], line, sizeof(line) - 1);
  close(fds[0]);
  assert_true(n > 0);
  line[n] = '\0';
  /* One line: the message's newline is escaped, the line's own is not. */
  assert_string_equal(line, "dfsc: //fs1/data/x\\x1b[2J\\nforged: STATUS_X\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_unchanged),
      cmocka_unit_test(test_c0_and_del),
      cmocka_unit_test(test_c1),
      cmocka_unit_test(test_invalid_utf8),
      cmocka_unit_test(test_buffer_never_cut_inside),
      cmocka_unit_test(test_errf_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
