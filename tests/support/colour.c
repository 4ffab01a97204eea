#include "support/colour.h"

#include <math.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

double pf_test_srgb_to_linear(double c) { return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4); }

double pf_test_linear_to_srgb(double c) {
    if (c <= 0) return 0;
    return c <= 0.0031308 ? c * 12.92 : 1.055 * pow(c, 1 / 2.4) - 0.055;
}

/* CIELAB's f(t), with the linear segment below (6/29)^3 (CIE 15:2004). */
static double lab_f(double t) {
    const double d = 6.0 / 29.0;
    return t > d * d * d ? cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}

void pf_test_linear_to_lab(const double rgb[3], double lab[3]) {
    /* The sRGB primaries to XYZ (IEC 61966-2-1, to seven places so white
     * lands on L* 100, a* = b* = 0), divided by D65's white. */
    double x = (0.4124564 * rgb[0] + 0.3575761 * rgb[1] + 0.1804375 * rgb[2]) / 0.95047;
    double y = 0.2126729 * rgb[0] + 0.7151522 * rgb[1] + 0.0721750 * rgb[2];
    double z = (0.0193339 * rgb[0] + 0.1191920 * rgb[1] + 0.9503041 * rgb[2]) / 1.08883;
    double fx = lab_f(x), fy = lab_f(y), fz = lab_f(z);
    lab[0] = 116 * fy - 16;
    lab[1] = 500 * (fx - fy);
    lab[2] = 200 * (fy - fz);
}

static double deg(double rad) { return rad * 180 / M_PI; }
static double rad(double deg) { return deg * M_PI / 180; }

/* Hue angle in degrees, 0..360; 0 for a neutral colour. */
static double hue(double b, double a) {
    if (a == 0 && b == 0) return 0;
    double h = deg(atan2(b, a));
    return h < 0 ? h + 360 : h;
}

/* The formula as written out step by step in G. Sharma, W. Wu and E. N.
 * Dalal, "The CIEDE2000 color-difference formula: implementation notes,
 * supplementary test data, and mathematical observations", Color Research
 * and Application 30(1), 2005, equations (1) to (22); the unit test checks
 * it against pairs from that paper's Table 1. */
double pf_test_ciede2000(const double lab1[3], const double lab2[3]) {
    double L1 = lab1[0], a1 = lab1[1], b1 = lab1[2], L2 = lab2[0], a2 = lab2[1], b2 = lab2[2];
    /* (2)-(7): a' stretched by G, which depends on the mean chroma */
    double C1 = hypot(a1, b1), C2 = hypot(a2, b2), Cbar = (C1 + C2) / 2;
    double Cbar7 = pow(Cbar, 7);
    double G = 0.5 * (1 - sqrt(Cbar7 / (Cbar7 + pow(25, 7))));
    double a1p = (1 + G) * a1, a2p = (1 + G) * a2;
    double C1p = hypot(a1p, b1), C2p = hypot(a2p, b2);
    double h1p = hue(b1, a1p), h2p = hue(b2, a2p);
    /* (8)-(11): differences; the hue difference takes the short way round */
    double dLp = L2 - L1, dCp = C2p - C1p, dhp = 0;
    if (C1p * C2p != 0) {
        dhp = h2p - h1p;
        if (dhp > 180)
            dhp -= 360;
        else if (dhp < -180)
            dhp += 360;
    }
    double dHp = 2 * sqrt(C1p * C2p) * sin(rad(dhp / 2));
    /* (12)-(22): means, weights and the rotation term */
    double Lbarp = (L1 + L2) / 2, Cbarp = (C1p + C2p) / 2, hbarp = h1p + h2p;
    if (C1p * C2p != 0) {
        if (fabs(h1p - h2p) <= 180)
            hbarp /= 2;
        else
            hbarp = h1p + h2p < 360 ? (h1p + h2p + 360) / 2 : (h1p + h2p - 360) / 2;
    }
    double T = 1 - 0.17 * cos(rad(hbarp - 30)) + 0.24 * cos(rad(2 * hbarp)) + 0.32 * cos(rad(3 * hbarp + 6)) -
               0.20 * cos(rad(4 * hbarp - 63));
    double dtheta = 30 * exp(-pow((hbarp - 275) / 25, 2));
    double Cbarp7 = pow(Cbarp, 7);
    double RC = 2 * sqrt(Cbarp7 / (Cbarp7 + pow(25, 7)));
    double Lm = (Lbarp - 50) * (Lbarp - 50);
    double SL = 1 + 0.015 * Lm / sqrt(20 + Lm), SC = 1 + 0.045 * Cbarp, SH = 1 + 0.015 * Cbarp * T;
    double RT = -sin(rad(2 * dtheta)) * RC;
    double l = dLp / SL, c = dCp / SC, h = dHp / SH;
    return sqrt(l * l + c * c + h * h + RT * c * h);
}
