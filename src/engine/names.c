/* Container ids and generated names, as docker makes them: 64 random hex digits, and
 * "adjective_surname" (moby/pkg/namesgenerator's scheme, with a shorter list). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/cleanup.h"
#include "engine/create.h"
#include "engine/db.h"
#include "engine/events.h"
#include "lib/util.h"

static const char *const LEFT[] = {
        "admiring", "adoring",  "affectionate", "agitated", "amazing",  "angry",    "awesome",   "blissful",
        "bold",     "boring",   "brave",        "busy",     "charming", "clever",   "compassionate", "competent",
        "confident", "cool",    "dazzling",     "determined", "eager",  "ecstatic", "elastic",   "elated",
        "elegant",  "epic",     "exciting",     "fervent",  "focused",  "friendly", "funny",     "gallant",
        "gifted",   "goofy",    "gracious",     "happy",    "hardcore", "heuristic", "hopeful",  "hungry",
        "infallible", "inspiring", "jolly",     "jovial",   "keen",     "kind",     "laughing",  "loving",
        "lucid",    "magical",  "modest",       "musing",   "mystifying", "nice",   "nifty",     "nostalgic",
        "objective", "optimistic", "peaceful",  "pensive",  "practical", "priceless", "quirky",  "quizzical",
        "relaxed",  "reverent", "romantic",     "serene",   "sharp",    "silly",    "sleepy",    "stoic",
        "strange",  "sweet",    "tender",       "thirsty",  "trusting", "upbeat",   "vibrant",   "vigilant",
        "vigorous", "wizardly", "wonderful",    "xenodochial", "youthful", "zealous", "zen",
};
static const char *const RIGHT[] = {
        "albattani", "allen",    "almeida",  "archimedes", "ardinghelli", "aryabhata", "austin",   "babbage",
        "banach",    "bardeen",  "bartik",   "bassi",      "bell",        "bhabha",    "blackwell", "bohr",
        "booth",     "borg",     "bose",     "brahmagupta", "brattain",   "brown",     "carson",   "cerf",
        "chandrasekhar", "chaplygin", "chatelet", "chebyshev", "clarke",  "colden",    "cori",     "cray",
        "curie",     "darwin",   "davinci",  "dijkstra",   "driscoll",    "dubinsky",  "easley",   "edison",
        "einstein",  "elgamal",  "elion",    "engelbart",  "euclid",      "euler",     "faraday",  "fermat",
        "fermi",     "feynman",  "franklin", "galileo",    "gauss",       "goldberg",  "goldstine", "goodall",
        "hamilton",  "hawking",  "heisenberg", "hermann",  "hodgkin",     "hopper",    "hypatia",  "jackson",
        "jang",      "jennings", "jepsen",   "johnson",    "kalam",       "kepler",    "khorana",  "knuth",
        "lalande",   "lamarr",   "lamport",  "leakey",     "leavitt",     "lovelace",  "lumiere",  "mahavira",
        "mayer",     "mccarthy", "mclean",   "meitner",    "mendel",      "merkle",    "mirzakhani", "morse",
        "napier",    "newton",   "nightingale", "nobel",   "noether",     "pascal",    "pasteur",  "payne",
        "perlman",   "pike",     "poincare", "ptolemy",    "raman",       "ramanujan", "ride",     "ritchie",
        "roentgen",  "rosalind", "saha",     "shamir",     "shannon",     "shaw",      "sinoussi", "snyder",
        "spence",    "stonebraker", "swanson", "tesla",    "thompson",    "torvalds",  "turing",   "varahamihira",
        "volhard",   "wescoff",  "wiles",    "williams",   "wilson",      "wing",      "wozniak",  "wright",
        "yalow",     "yonath",
};

static void random_bytes(void *buf, size_t n)
{
        size_t done = 0;

        while (done < n) {
                ssize_t r = getrandom((char *) buf + done, n - done, 0);
                if (r < 0 && errno == EINTR)
                        continue;
                if (r < 0)
                        abort();
                done += (size_t) r;
        }
}

char *engine_new_id(void)
{
        unsigned char bytes[32];
        char *id = xmalloc(65);

        /* docker refuses ids that are all digits (they could be read as a number): so do we. */
        do {
                random_bytes(bytes, sizeof(bytes));
                for (size_t i = 0; i < sizeof(bytes); i++)
                        sprintf(id + 2 * i, "%02x", bytes[i]);
        } while (strspn(id, "0123456789") == 64);
        return id;
}

char *engine_new_name(unsigned attempt)
{
        uint32_t r[3];

        random_bytes(r, sizeof(r));
        /* docker's rule: "boring_wozniak" is not generated (Steve Wozniak is not boring). */
        for (;;) {
                const char *l = LEFT[r[0] % ARRAY_SIZE(LEFT)], *rt = RIGHT[r[1] % ARRAY_SIZE(RIGHT)];
                if (strcmp(l, "boring") == 0 && strcmp(rt, "wozniak") == 0) {
                        r[0]++;
                        continue;
                }
                /* After a collision docker appends a digit. */
                return attempt > 0 ? xasprintf("%s_%s%u", l, rt, r[2] % 10) : xasprintf("%s_%s", l, rt);
        }
}

int engine_container_rename(struct engine *e, const char *ref, const char *new_name, berth_error *err)
{
        cleanup_engine_container struct engine_container *c = NULL;
        cleanup_free char *id = NULL, *old = NULL;
        const char *name = new_name[0] == '/' ? new_name + 1 : new_name;
        int r;

        if (!engine_name_is_valid(name))
                return berth_failf(err, EINVAL, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
        if ((r = engine_db_resolve(e, ref, &id, err)) < 0 || (r = engine_db_get(e, id, &c, err)) < 0)
                return r;
        if ((r = engine_db_rename(e, id, name, err)) < 0)
                return r;
        old = steal_pointer(&c->name);
        c->name = xstrdup(name);
        engine_event_container(e, c, "rename", json_pack("{s:s}", "oldName", old));
        return 0;
}
