/* JSON-lines logging: every line parses, carries its fields, and lines from
 * many threads never interleave. */
#include "check.h"

#include "core/log.h"
#include "core/mem.h"

#include <pthread.h>
#include <stdlib.h>

static void *writer(void *arg) {
    (void)arg;
    for (int i = 0; i < 200; i++)
        pf_log(PF_LOG_INFO, "test.line", "line %d with \"quotes\" and \\ slashes", i);
    return NULL;
}

int main(void) {
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    pf_log_init(out, PF_LOG_INFO);
    pf_log(PF_LOG_DEBUG, "test.hidden", "below the minimum level");
    json_t *fields = json_pack("{s:s, s:i}", "run", "run_1", "node", 3);
    pf_log_fields(PF_LOG_WARN, "test.fields", fields, "with %s", "fields");
    json_decref(fields);
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, writer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    fclose(out);

    size_t lines = 0, good = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        json_t *doc = json_loads(line, 0, NULL);
        if (doc && json_string_value(json_object_get(doc, "ts")) && json_string_value(json_object_get(doc, "msg")))
            good++;
        if (lines == 1) {
            CHECK_STR(json_string_value(json_object_get(doc, "level")), "warn");
            CHECK_STR(json_string_value(json_object_get(doc, "event")), "test.fields");
            CHECK_STR(json_string_value(json_object_get(doc, "msg")), "with fields");
            CHECK_STR(json_string_value(json_object_get(doc, "run")), "run_1");
            CHECK_INT(json_integer_value(json_object_get(doc, "node")), 3);
        }
        json_decref(doc);
    }
    CHECK_INT(lines, 1 + 4 * 200); /* the debug line was filtered */
    CHECK_INT(good, lines);
    free(buf);
    pf_log_init(stderr, PF_LOG_INFO);
    return pf_check_done("core_log");
}
