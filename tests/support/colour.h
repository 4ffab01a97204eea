/* Colour measurement for render tests: sRGB to CIELAB and the CIEDE2000
 * colour difference, so a test can say how far a rendered colour is from
 * the material it was asked to show, in the unit people judge colour by. */
#ifndef PF_TESTS_COLOUR_H
#define PF_TESTS_COLOUR_H

/* The sRGB transfer function (IEC 61966-2-1) and its inverse, on 0..1. */
double pf_test_srgb_to_linear(double encoded);
double pf_test_linear_to_srgb(double linear);

/* Linear-light sRGB (0..1) to CIELAB under D65. */
void pf_test_linear_to_lab(const double rgb[3], double lab[3]);

/* CIEDE2000 between two CIELAB colours (kL = kC = kH = 1). */
double pf_test_ciede2000(const double lab1[3], const double lab2[3]);

#endif
