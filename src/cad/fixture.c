#include "cad/fixture.h"

#include "cad/cad_kernel.h"

#include <stdio.h>

static const double red[3] = {0.8, 0.1, 0.1}, steel[3] = {0.6, 0.6, 0.62}, blue[3] = {0.1, 0.3, 0.8},
                    dark[3] = {0.2, 0.2, 0.2}, white[3] = {0.95, 0.95, 0.95};

pf_error *pf_cad_make_fixture(const char *path, const pf_fixture_opts *opts) {
    if (pf_cad_load() != PF_CAD_OK) return pf_error_new(PF_EUNAVAILABLE, "", "%s", pf_cad_last_error());
    pf_cad_builder *b = pf_cad_builder_new();
    if (!b) return pf_error_new(PF_EINTERNAL, "", "%s", pf_cad_last_error());
    int root = pf_cad_builder_assembly(b, "Gearbox");
    int housing = pf_cad_builder_part(b, "Housing", PF_CAD_BOX, (double[3]){120, 80, 60}, red);
    int shaft_assy = pf_cad_builder_assembly(b, "Shaft_Assy");
    int shaft = pf_cad_builder_part(b, "Shaft", PF_CAD_CYLINDER, (double[3]){8, 140, 0}, steel);
    int bearing = pf_cad_builder_part(b, "Bearing", PF_CAD_TORUS, (double[3]){14, 5, 0}, blue);
    int bolt = pf_cad_builder_part(b, "Bolt_M4", PF_CAD_CYLINDER, (double[3]){2, 12, 0}, dark);
    int cover = pf_cad_builder_part(b, "Cover", PF_CAD_SPHERE, (double[3]){30, 0, 0}, white);
    pf_cad_status st = PF_CAD_OK;
    if (root < 0 || housing < 0 || shaft_assy < 0 || shaft < 0 || bearing < 0 || bolt < 0 || cover < 0)
        st = PF_CAD_EINTERNAL;
    if (!st && opts->inside_out) st = pf_cad_builder_turn_inside_out(b, housing);
    if (!st) st = pf_cad_builder_place(b, shaft_assy, shaft, "Shaft", (double[3]){0, 0, -10});
    if (!st) st = pf_cad_builder_place(b, shaft_assy, bearing, "Bearing_front", (double[3]){0, 0, 10});
    if (!st) st = pf_cad_builder_place(b, shaft_assy, bearing, "Bearing_back", (double[3]){0, 0, 110});
    if (!st) st = pf_cad_builder_place(b, root, housing, "Housing", (double[3]){-60, -40, 0});
    if (!st) st = pf_cad_builder_place(b, root, shaft_assy, "Shaft_Assy", (double[3]){0, 0, 0});
    if (!st) st = pf_cad_builder_place(b, root, cover, "Cover", (double[3]){0, 0, 90});
    for (int i = 0; !st && i < opts->bolts; i++) {
        char name[32];
        snprintf(name, sizeof name, "Bolt_M4_%d", i + 1);
        st = pf_cad_builder_place(b, root, bolt, name, (double[3]){-55 + (i % 8) * 15.0, 45 + (i / 8) * 6.0, 60});
    }
    if (!st && opts->extra_parts > 0) {
        int rack = pf_cad_builder_assembly(b, "Rack");
        st = rack < 0 ? PF_CAD_EINTERNAL : pf_cad_builder_place(b, root, rack, "Rack", (double[3]){0, 200, 0});
        for (int i = 0; !st && i < opts->extra_parts; i++) {
            char name[32];
            snprintf(name, sizeof name, "Part_%04d", i + 1);
            /* Alternate flat and curved parts so meshing has real work. */
            int part = i % 2
                           ? pf_cad_builder_part(b, name, PF_CAD_CYLINDER, (double[3]){3 + i % 5, 10 + i % 7, 0}, NULL)
                           : pf_cad_builder_part(b, name, PF_CAD_BOX, (double[3]){5 + i % 3, 6, 7 + i % 4}, NULL);
            st = part < 0 ? PF_CAD_EINTERNAL
                          : pf_cad_builder_place(b, rack, part, name, (double[3]){(i % 40) * 12.0, (i / 40) * 12.0, 0});
        }
    }
    if (!st) st = pf_cad_builder_write_step(b, path);
    pf_error *err = st ? pf_error_new(PF_EIO, "", "cannot make the fixture %s: %s", path, pf_cad_last_error()) : NULL;
    pf_cad_builder_free(b);
    return err;
}
