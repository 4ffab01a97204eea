/* The test support's CIEDE2000 against published pairs, and sRGB to CIELAB
 * against known values: the render colour tests trust these numbers. */
#include "check.h"

#include "support/colour.h"

#include <math.h>

static void check_pair(const double a[3], const double b[3], double expected) {
    double d = pf_test_ciede2000(a, b), back = pf_test_ciede2000(b, a);
    CHECK_MSG(fabs(d - expected) < 5e-5, "dE00 %.4f, published %.4f", d, expected);
    CHECK_MSG(fabs(d - back) < 1e-9, "dE00 is not symmetric: %.6f against %.6f", d, back);
}

int main(void) {
    /* Sharma, Wu and Dalal (2005), Table 1: pairs 1, 7, 17, 25 and 34
     * (blue, neutral against near-neutral, large difference, green-yellow,
     * and a pair across the hue wrap). */
    check_pair((double[3]){50, 2.6772, -79.7751}, (double[3]){50, 0, -82.7485}, 2.0425);
    check_pair((double[3]){50, 0, 0}, (double[3]){50, -1, 2}, 2.3669);
    check_pair((double[3]){50, 2.5, 0}, (double[3]){73, 25, -18}, 27.1492);
    check_pair((double[3]){60.2574, -34.0099, 36.2677}, (double[3]){60.4626, -34.1751, 39.4387}, 1.2644);
    check_pair((double[3]){22.7233, 20.0904, -46.6940}, (double[3]){23.0331, 14.9730, -42.5619}, 2.0373);
    check_pair((double[3]){40, 0, 0}, (double[3]){40, 0, 0}, 0);

    /* sRGB white and primaries in CIELAB (D65). */
    double lab[3];
    pf_test_linear_to_lab((double[3]){1, 1, 1}, lab);
    CHECK_MSG(fabs(lab[0] - 100) < 0.01 && fabs(lab[1]) < 0.01 && fabs(lab[2]) < 0.01, "white is %.2f %.2f %.2f",
              lab[0], lab[1], lab[2]);
    pf_test_linear_to_lab((double[3]){1, 0, 0}, lab);
    CHECK_MSG(fabs(lab[0] - 53.24) < 0.05 && fabs(lab[1] - 80.09) < 0.1 && fabs(lab[2] - 67.20) < 0.1,
              "red is %.2f %.2f %.2f", lab[0], lab[1], lab[2]);
    pf_test_linear_to_lab((double[3]){0.18, 0.18, 0.18}, lab);
    CHECK_MSG(fabs(lab[0] - 49.50) < 0.05, "18%% grey has L* %.2f", lab[0]);
    CHECK(fabs(pf_test_srgb_to_linear(pf_test_linear_to_srgb(0.3)) - 0.3) < 1e-9);
    return pf_check_done("colour_difference");
}
