// The OCCT adapter behind cad_kernel.h. Every entry point catches
// everything: OCCT signals errors with Standard_Failure, and a C caller
// must only ever see a status code and pf_cad_last_error().
#include "cad/cad_kernel.h"

#include <BRepBndLib.hxx>
#include <BRepMesh_IncrementalMesh.hxx>
#include <BRep_Tool.hxx>
#include <Bnd_Box.hxx>
#include <IFSelect_ReturnStatus.hxx>
#include <Message_ProgressRange.hxx>
#include <Poly_Triangulation.hxx>
#include <RWGltf_CafWriter.hxx>
#include <RWMesh_CoordinateSystem.hxx>
#include <STEPCAFControl_Reader.hxx>
#include <Standard_Failure.hxx>
#include <TColStd_IndexedDataMapOfStringString.hxx>
#include <TDF_LabelSequence.hxx>
#include <TDocStd_Document.hxx>
#include <TopExp_Explorer.hxx>
#include <TopLoc_Location.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Compound.hxx>
#include <BRep_Builder.hxx>
#include <XCAFApp_Application.hxx>
#include <XCAFDoc_DocumentTool.hxx>
#include <XCAFDoc_ShapeTool.hxx>

#include <exception>
#include <mutex>
#include <string>

struct pf_cad_doc {
    Handle(TDocStd_Document) doc;
    TopoDS_Compound all; // every free shape, for meshing and boxes
    size_t roots = 0;
    double unit_m = 0.001;
    bool meshed = false;
};

namespace {

thread_local std::string last_error;

// STEPControl keeps its settings in process-wide statics.
std::mutex &reader_lock() {
    static std::mutex lock;
    return lock;
}

pf_cad_status fail(pf_cad_status status, const std::string &message) {
    last_error = message;
    return status;
}

template <typename F> pf_cad_status guarded(const char *what, F body) {
    try {
        return body();
    } catch (const Standard_Failure &e) {
        return fail(PF_CAD_EINTERNAL, std::string(what) + ": " + e.GetMessageString());
    } catch (const std::exception &e) {
        return fail(PF_CAD_EINTERNAL, std::string(what) + ": " + e.what());
    } catch (...) {
        return fail(PF_CAD_EINTERNAL, std::string(what) + ": unknown failure");
    }
}

} // namespace

extern "C" const char *pf_cad_last_error(void) { return last_error.c_str(); }

extern "C" pf_cad_status pf_cad_open_step(const char *path, pf_cad_doc **out) {
    *out = nullptr;
    return guarded("reading STEP", [&]() -> pf_cad_status {
        auto *d = new pf_cad_doc();
        Handle(XCAFApp_Application) app = XCAFApp_Application::GetApplication();
        app->NewDocument("BinXCAF", d->doc);
        {
            std::lock_guard<std::mutex> guard(reader_lock());
            STEPCAFControl_Reader reader;
            reader.SetColorMode(true);
            reader.SetNameMode(true);
            reader.SetLayerMode(false);
            if (reader.ReadFile(path) != IFSelect_RetDone) {
                pf_cad_close(d);
                return fail(PF_CAD_EREAD, std::string(path) + " could not be read as STEP");
            }
            if (!reader.Transfer(d->doc)) {
                pf_cad_close(d);
                return fail(PF_CAD_EREAD, std::string(path) + ": the STEP data could not be transferred");
            }
        }
        Handle(XCAFDoc_ShapeTool) shapes = XCAFDoc_DocumentTool::ShapeTool(d->doc->Main());
        TDF_LabelSequence free_shapes;
        shapes->GetFreeShapes(free_shapes);
        BRep_Builder builder;
        builder.MakeCompound(d->all);
        for (Standard_Integer i = 1; i <= free_shapes.Length(); i++) {
            TopoDS_Shape shape = XCAFDoc_ShapeTool::GetShape(free_shapes.Value(i));
            if (!shape.IsNull()) builder.Add(d->all, shape);
        }
        d->roots = (size_t)free_shapes.Length();
        Standard_Real unit = 0;
        if (XCAFDoc_DocumentTool::GetLengthUnit(d->doc, unit) && unit > 0) d->unit_m = unit;
        TopExp_Explorer faces(d->all, TopAbs_FACE);
        if (!faces.More()) {
            pf_cad_close(d);
            return fail(PF_CAD_EEMPTY, std::string(path) + " holds no geometry (no faces)");
        }
        *out = d;
        return PF_CAD_OK;
    });
}

extern "C" void pf_cad_close(pf_cad_doc *doc) {
    try {
        if (doc && !doc->doc.IsNull()) XCAFApp_Application::GetApplication()->Close(doc->doc);
    } catch (...) {
    }
    delete doc;
}

extern "C" size_t pf_cad_root_count(const pf_cad_doc *doc) { return doc->roots; }
extern "C" double pf_cad_length_unit(const pf_cad_doc *doc) { return doc->unit_m; }

extern "C" pf_cad_status pf_cad_mesh(pf_cad_doc *doc, const pf_cad_mesh_opts *opts) {
    return guarded("meshing", [&]() -> pf_cad_status {
        if (!(opts->linear_deflection > 0)) return fail(PF_CAD_EMESH, "the linear deflection must be positive");
        BRepMesh_IncrementalMesh mesher(doc->all, opts->linear_deflection, opts->relative != 0,
                                        opts->angular_deflection, opts->parallel != 0);
        if (!mesher.IsDone()) return fail(PF_CAD_EMESH, "the tessellation did not finish");
        doc->meshed = true;
        return PF_CAD_OK;
    });
}

extern "C" size_t pf_cad_triangle_count(const pf_cad_doc *doc) {
    size_t n = 0;
    try {
        for (TopExp_Explorer e(doc->all, TopAbs_FACE); e.More(); e.Next()) {
            TopLoc_Location loc;
            Handle(Poly_Triangulation) t = BRep_Tool::Triangulation(TopoDS::Face(e.Current()), loc);
            if (!t.IsNull()) n += (size_t)t->NbTriangles();
        }
    } catch (...) {
    }
    return n;
}

extern "C" pf_cad_status pf_cad_bbox(const pf_cad_doc *doc, pf_cad_box *out) {
    return guarded("computing the bounding box", [&]() -> pf_cad_status {
        if (!doc->meshed) return fail(PF_CAD_EMESH, "mesh the document before asking for a tight box");
        Bnd_Box box;
        BRepBndLib::AddOptimal(doc->all, box, Standard_True, Standard_False);
        if (box.IsVoid()) return fail(PF_CAD_EEMPTY, "the document has no extent");
        Standard_Real x0, y0, z0, x1, y1, z1;
        box.Get(x0, y0, z0, x1, y1, z1);
        const double s = doc->unit_m;
        *out = pf_cad_box{{x0 * s, y0 * s, z0 * s}, {x1 * s, y1 * s, z1 * s}};
        return PF_CAD_OK;
    });
}

extern "C" pf_cad_status pf_cad_write_glb(pf_cad_doc *doc, const char *path, int merge_faces) {
    return guarded("writing GLB", [&]() -> pf_cad_status {
        if (!doc->meshed) return fail(PF_CAD_EMESH, "mesh the document before writing GLB");
        RWGltf_CafWriter writer(path, Standard_True);
        // The writer's defaults leave Z-up millimetres; glTF wants Y-up metres.
        writer.ChangeCoordinateSystemConverter().SetInputLengthUnit(doc->unit_m);
        writer.ChangeCoordinateSystemConverter().SetInputCoordinateSystem(RWMesh_CoordinateSystem_Zup);
        writer.SetNodeNameFormat(RWMesh_NameFormat_ProductOrInstance);
        writer.SetMeshNameFormat(RWMesh_NameFormat_Product);
        writer.SetMergeFaces(merge_faces != 0);
        TColStd_IndexedDataMapOfStringString info;
        info.Add("generator", "Prodflow");
        if (!writer.Perform(doc->doc, info, Message_ProgressRange()))
            return fail(PF_CAD_EWRITE, std::string("cannot write ") + path);
        return PF_CAD_OK;
    });
}
