// The OCCT adapter behind cad_kernel.h. Every entry point catches
// everything: OCCT signals errors with Standard_Failure, and a C caller
// must only ever see a status code and pf_cad_last_error().
#include "cad/cad_kernel.h"
#include "cad/cad_module.h"
#include "cad/glb_output.h"
#include "cad/step_assembly.h"
#include "cad/step_input.h"

#include <BRepBndLib.hxx>
#include <BRepLib.hxx>
#include <BRepMesh_IncrementalMesh.hxx>
#include <BRepPrimAPI_MakeBox.hxx>
#include <BRepPrimAPI_MakeCylinder.hxx>
#include <BRepPrimAPI_MakeSphere.hxx>
#include <BRepPrimAPI_MakeTorus.hxx>
#include <BRep_Builder.hxx>
#include <BRep_Tool.hxx>
#include <Bnd_Box.hxx>
#include <IFSelect_ReturnStatus.hxx>
#include <Interface_Static.hxx>
#include <Message_ProgressRange.hxx>
#include <Poly_Triangulation.hxx>
#include <Quantity_Color.hxx>
#include <RWGltf_CafWriter.hxx>
#include <RWMesh_CoordinateSystem.hxx>
#include <STEPCAFControl_Reader.hxx>
#include <STEPCAFControl_Writer.hxx>
#include <ShapeAnalysis_Wire.hxx>
#include <ShapeBuild_ReShape.hxx>
#include <ShapeFix_Shape.hxx>
#include <ShapeFix_Solid.hxx>
#include <ShapeFix_Wire.hxx>
#include <Standard_ErrorHandler.hxx>
#include <Standard_Failure.hxx>
#include <TColStd_IndexedDataMapOfStringString.hxx>
#include <TCollection_ExtendedString.hxx>
#include <TDF_LabelSequence.hxx>
#include <TDataStd_Name.hxx>
#include <TDocStd_Document.hxx>
#include <TNaming_Builder.hxx>
#include <TopExp.hxx>
#include <TopExp_Explorer.hxx>
#include <TopLoc_Location.hxx>
#include <TopTools_IndexedMapOfShape.hxx>
#include <TopTools_MapOfShape.hxx>
#include <TopoDS.hxx>
#include <TopoDS_Compound.hxx>
#include <TopoDS_Iterator.hxx>
#include <TopoDS_Shell.hxx>
#include <TopoDS_Solid.hxx>
#include <XCAFApp_Application.hxx>
#include <XCAFDoc_ColorTool.hxx>
#include <XCAFDoc_DocumentTool.hxx>
#include <XCAFDoc_ShapeTool.hxx>
#include <XSAlgo.hxx>
#include <XSAlgo_AlgoContainer.hxx>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <gp_Trsf.hxx>
#include <malloc.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <Message.hxx>
#include <Message_Messenger.hxx>
#include <Message_PrinterOStream.hxx>
#include <exception>
#include <fstream>
#include <mutex>
#include <string>
#include <sys/stat.h>

enum class healing { adaptive, full, none };

struct pf_cad_doc {
    Handle(TDocStd_Document) doc;
    TopoDS_Compound all; // every free shape, for boxes and counts
    size_t roots = 0;
    double unit_m = 0.001;
    bool meshed = false;
    size_t faces = 0, unmeshed_faces = 0; // counted by pf_cad_mesh
    std::string path;                     // to read again with full healing
    healing healed = healing::adaptive;
    std::string healing_note; // what pf_cad_healing() reports
    // The reader's precision and largest tolerance, as it would have passed
    // them to healing: adaptive healing heals with the same values.
    double precision = 1e-7, max_tolerance = 1;
    std::vector<std::string> healed_parts; // products healed by adaptive healing
    TopTools_MapOfShape wires_to_heal;     // parts whose wires adaptive healing mends (found on reading)
    size_t meshed_shapes = 0, instances = 0;
    pf_cad_overrides overrides{}; // what the adapter's own OCCT functions did
};

namespace {

thread_local std::string last_error;

// Shape processing that leaves every transferred shape as it is, and keeps
// the precision and tolerance the reader asked for, so that the shapes
// adaptive healing picks later are healed as the reader would have.
class unhealed_container : public XSAlgo_AlgoContainer {
  public:
    TopoDS_Shape ProcessShape(const TopoDS_Shape &shape, const Standard_Real precision, const Standard_Real max_tol,
                              const Standard_CString, const Standard_CString, Handle(Standard_Transient) &,
                              const Message_ProgressRange &, const Standard_Boolean) const override {
        precision_ = precision;
        max_tol_ = max_tol;
        seen_ = true;
        return shape;
    }
    // Whether the reader called it at all, and with what.
    bool seen(double *precision, double *max_tol) const {
        *precision = precision_, *max_tol = max_tol_;
        return seen_;
    }

  private:
    mutable double precision_ = 0, max_tol_ = 0;
    mutable bool seen_ = false;
};

// OCCT's default healing (XSAlgo_AlgoContainer::ProcessShape without a STEP
// resource file, the run occt-draw's ReadStep makes) on one shape. The
// reshape context maps its old sub-shapes to the new ones. A null shape when
// the healer chokes on it (OCCT then keeps the shape as read).
TopoDS_Shape heal_shape(const TopoDS_Shape &shape, double precision, double max_tol,
                        Handle(ShapeBuild_ReShape) & context) {
    try {
        OCC_CATCH_SIGNALS
        Handle(ShapeFix_Shape) fix = new ShapeFix_Shape;
        fix->Init(shape);
        fix->SetPrecision(precision);
        fix->SetMaxTolerance(max_tol);
        fix->FixWireTool()->FixSameParameterMode() = 0;
        fix->FixSolidTool()->CreateOpenSolidMode() = Standard_False;
        fix->Perform(Message_ProgressRange());
        context = fix->Context();
        return fix->Shape();
    } catch (const Standard_Failure &) {
        return TopoDS_Shape();
    }
}

// Installs the container for one read and restores the default. The
// reader heals through the process-wide algorithm container; swapping it
// is safe only because reads and writes hold reader_lock().
class healing_choice {
  public:
    explicit healing_choice(healing how) {
        if (how == healing::full) return; // OCCT's own container: the same run as occt-draw's ReadStep
        XSAlgo::Init();
        saved_ = XSAlgo::AlgoContainer();
        unhealed_ = new unhealed_container();
        XSAlgo::SetAlgoContainer(unhealed_);
    }
    ~healing_choice() {
        if (!saved_.IsNull()) XSAlgo::SetAlgoContainer(saved_);
    }
    // The precision and tolerance the reader passed; false when it healed itself or transferred nothing.
    bool reader_precision(double *precision, double *max_tol) const {
        return !unhealed_.IsNull() && unhealed_->seen(precision, max_tol);
    }
    healing_choice(const healing_choice &) = delete;
    healing_choice &operator=(const healing_choice &) = delete;

  private:
    Handle(XSAlgo_AlgoContainer) saved_;
    Handle(unhealed_container) unhealed_;
};

std::mutex &reader_lock() {
    static std::mutex lock;
    return lock;
}

pf_cad_status fail(pf_cad_status status, const std::string &message) {
    last_error = message;
    return status;
}

// OCCT prints its progress to stdout; Prodflow reports through statuses.
void quiet_once() {
    static std::once_flag once;
    std::call_once(once, [] { Message::DefaultMessenger()->RemovePrinters(STANDARD_TYPE(Message_PrinterOStream)); });
}

template <typename F> pf_cad_status guarded(const char *what, F body) {
    quiet_once();
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

namespace {
void close_document(Handle(TDocStd_Document) & doc) {
    try {
        if (!doc.IsNull()) XCAFApp_Application::GetApplication()->Close(doc);
    } catch (...) {
    }
}
} // namespace

namespace {

const char *healing_name(healing how) {
    return how == healing::adaptive ? "adaptive" : how == healing::full ? "full" : "none";
}

// Gathers the free shapes into d->all, after a read or after healing changed parts.
void collect_free_shapes(pf_cad_doc *d) {
    TDF_LabelSequence free_shapes;
    XCAFDoc_DocumentTool::ShapeTool(d->doc->Main())->GetFreeShapes(free_shapes);
    BRep_Builder builder;
    builder.MakeCompound(d->all);
    for (Standard_Integer i = 1; i <= free_shapes.Length(); i++) {
        TopoDS_Shape shape = XCAFDoc_ShapeTool::GetShape(free_shapes.Value(i));
        if (!shape.IsNull()) builder.Add(d->all, shape);
    }
    d->roots = (size_t)free_shapes.Length();
}

void find_wires_to_heal(pf_cad_doc *d);

// Reads path into d (whose document must be empty) with the given healing;
// as_shipped leaves out the adapter's replacements of OCCT's functions.
pf_cad_status read_step(const char *path, healing how, bool as_shipped, pf_cad_doc *d) {
    Handle(XCAFApp_Application) app = XCAFApp_Application::GetApplication();
    app->NewDocument("BinXCAF", d->doc);
    {
        std::lock_guard<std::mutex> guard(reader_lock());
        healing_choice choice(how);
        auto owned = std::make_unique<STEPCAFControl_Reader>();
        STEPCAFControl_Reader &reader = *owned;
        reader.SetColorMode(true);
        reader.SetNameMode(true);
        // Only names, colours and structure are used; skip the rest of the transfer.
        reader.SetLayerMode(false);
        reader.SetPropsMode(false);
        reader.SetGDTMode(false);
        reader.SetMatMode(false);
        reader.SetViewMode(false);
        reader.SetSHUOMode(false);
        std::ifstream in(path, std::ios::binary);
        if (!in) return fail(PF_CAD_EREAD, std::string(path) + " cannot be opened");
        std::optional<step_input_scope> input;
        std::optional<step_assembly_scope> assembly;
        if (!as_shipped) input.emplace(in), assembly.emplace();
        if (reader.ChangeReader().ReadStream(path, in) != IFSelect_RetDone)
            return fail(PF_CAD_EREAD, std::string(path) + " could not be read as STEP");
        if (!reader.Transfer(d->doc))
            return fail(PF_CAD_EREAD, std::string(path) + ": the STEP data could not be transferred");
        d->overrides.lexer_block_reads = input ? input->reads() : 0;
        d->overrides.assembly_link_checks = assembly ? assembly->checks() : 0;
        choice.reader_precision(&d->precision, &d->max_tolerance);
        // Freeing the reader's model takes as long as checking every part's
        // wires, and neither touches what the other does (the document holds
        // its own references to the shapes): one on each core. The checks
        // get the new thread, so that their allocations come from another
        // arena than the one the model goes back to.
        std::thread checking;
        std::exception_ptr failed;
        if (how == healing::adaptive)
            checking = std::thread([d, &failed]() {
                try {
                    find_wires_to_heal(d);
                } catch (...) {
                    failed = std::current_exception();
                }
            });
        owned.reset();
        if (checking.joinable()) checking.join();
        if (failed) std::rethrow_exception(failed); // to guarded(), as on this thread
    }
    // The reader's model is freed, but glibc keeps its pages for the main
    // arena, and meshing allocates in its threads' arenas, so the process
    // held both: handing them back first lowers an export's peak RSS.
    // (With jemalloc, the release build's allocator, this does nothing;
    // its one-second decay hands them back: src/core/heap_jemalloc.c.)
    malloc_trim(0);
    collect_free_shapes(d);
    Standard_Real unit = 0;
    if (XCAFDoc_DocumentTool::GetLengthUnit(d->doc, unit) && unit > 0) d->unit_m = unit;
    TopExp_Explorer faces(d->all, TopAbs_FACE);
    if (!faces.More()) return fail(PF_CAD_EEMPTY, std::string(path) + " holds no geometry (no faces)");
    d->path = path;
    d->healed = how;
    d->healing_note = healing_name(how);
    return PF_CAD_OK;
}

} // namespace

extern "C" pf_cad_status pf_cad_open_step(const char *path, const pf_cad_read_opts *opts, pf_cad_doc **out) {
    *out = nullptr;
    return guarded("reading STEP", [&]() -> pf_cad_status {
        // Say plainly what is wrong with the path before OCCT's parser does.
        struct stat st;
        if (stat(path, &st) != 0) return fail(PF_CAD_EREAD, std::string(path) + " does not exist or cannot be read");
        if (S_ISDIR(st.st_mode)) return fail(PF_CAD_EREAD, std::string(path) + " is a directory, not a STEP file");
        if (st.st_size == 0) return fail(PF_CAD_EREAD, std::string(path) + " is empty, not a STEP file");
        healing how = !opts                                          ? healing::adaptive
                      : opts->skip_shape_healing                     ? healing::none
                      : opts->full_shape_healing || opts->as_shipped ? healing::full
                                                                     : healing::adaptive;
        auto *d = new pf_cad_doc();
        pf_cad_status status = read_step(path, how, opts && opts->as_shipped, d);
        if (status != PF_CAD_OK) {
            pf_cad_close(d);
            return status;
        }
        *out = d;
        return PF_CAD_OK;
    });
}

extern "C" void pf_cad_close(pf_cad_doc *doc) {
    if (doc) close_document(doc->doc);
    delete doc;
}

extern "C" size_t pf_cad_root_count(const pf_cad_doc *doc) { return doc->roots; }
extern "C" double pf_cad_length_unit(const pf_cad_doc *doc) { return doc->unit_m; }

namespace {

// Six times the signed volume enclosed by a shell's triangles (positive when
// the faces point outwards); faces without triangles add nothing.
double shell_volume6(const TopoDS_Shape &shell) {
    double v = 0;
    for (TopExp_Explorer e(shell, TopAbs_FACE); e.More(); e.Next()) {
        const TopoDS_Face &face = TopoDS::Face(e.Current());
        TopLoc_Location loc;
        Handle(Poly_Triangulation) t = BRep_Tool::Triangulation(face, loc);
        if (t.IsNull()) continue;
        const gp_Trsf trsf = loc.Transformation();
        const bool reversed = face.Orientation() == TopAbs_REVERSED;
        for (Standard_Integer i = 1; i <= t->NbTriangles(); i++) {
            Standard_Integer a, b, c;
            t->Triangle(i).Get(a, b, c);
            if (reversed) std::swap(b, c);
            gp_XYZ p = t->Node(a).Transformed(trsf).XYZ(), q = t->Node(b).Transformed(trsf).XYZ(),
                   r = t->Node(c).Transformed(trsf).XYZ();
            v += p.Dot(q.Crossed(r));
        }
    }
    return v;
}

// Shells that enclose their solid inside out: the outer shell (the largest)
// must enclose a positive volume and any cavity a negative one. This is the
// check full healing makes with a classifier per solid, done on the mesh.
size_t inside_out_shells(const TopoDS_Shape &all) {
    TopTools_IndexedMapOfShape solids; // each prototype once, unplaced
    for (TopExp_Explorer e(all, TopAbs_SOLID); e.More(); e.Next())
        solids.Add(e.Current().Located(TopLoc_Location()).Oriented(TopAbs_FORWARD));
    size_t bad = 0;
    for (Standard_Integer i = 1; i <= solids.Extent(); i++) {
        std::vector<double> volumes;
        for (TopoDS_Iterator it(solids(i)); it.More(); it.Next())
            if (it.Value().ShapeType() == TopAbs_SHELL) volumes.push_back(shell_volume6(it.Value()));
        size_t outer = 0;
        for (size_t k = 1; k < volumes.size(); k++)
            if (std::fabs(volumes[k]) > std::fabs(volumes[outer])) outer = k;
        for (size_t k = 0; k < volumes.size(); k++)
            if (k == outer ? volumes[k] < 0 : volumes[k] > 0) bad++;
    }
    return bad;
}

std::string label_name(const TDF_Label &label) {
    Handle(TDataStd_Name) name;
    if (!label.FindAttribute(TDataStd_Name::GetID(), name)) return std::string();
    TCollection_AsciiString ascii(name->Get());
    std::string s(ascii.ToCString());
    return s.rfind("=>", 0) == 0 ? std::string() : s; // OCCT's synthetic "=>[0:1:1:n]"
}

// Faces of shape without triangles, each occurrence counted; *faces gets them all.
size_t unmeshed_in(const TopoDS_Shape &shape, size_t *faces) {
    size_t bad = 0;
    *faces = 0;
    for (TopExp_Explorer e(shape, TopAbs_FACE); e.More(); e.Next()) {
        TopLoc_Location loc;
        ++*faces;
        if (BRep_Tool::Triangulation(TopoDS::Face(e.Current()), loc).IsNull()) bad++;
    }
    return bad;
}

// A part: a top-level label that is not an assembly, and its shape.
struct part {
    TDF_Label label;
    TopoDS_Shape shape;
};

// Every distinct part shape once, however many times the assembly places it.
std::vector<part> distinct_parts(const pf_cad_doc *doc) {
    TDF_LabelSequence labels;
    XCAFDoc_DocumentTool::ShapeTool(doc->doc->Main())->GetShapes(labels);
    TopTools_MapOfShape seen;
    std::vector<part> parts;
    for (Standard_Integer i = 1; i <= labels.Length(); i++) {
        const TDF_Label &label = labels.Value(i);
        if (XCAFDoc_ShapeTool::IsAssembly(label)) continue;
        TopoDS_Shape shape = XCAFDoc_ShapeTool::GetShape(label);
        if (!shape.IsNull() && seen.Add(shape)) parts.push_back(part{label, shape});
    }
    return parts;
}

// How many placed parts the tree under label holds.
size_t count_instances(const TDF_Label &label, int depth) {
    if (!XCAFDoc_ShapeTool::IsAssembly(label)) return 1;
    if (depth > 64) return 0;
    TDF_LabelSequence components;
    XCAFDoc_ShapeTool::GetComponents(label, components);
    size_t n = 0;
    for (Standard_Integer i = 1; i <= components.Length(); i++) {
        TDF_Label referred;
        if (XCAFDoc_ShapeTool::GetReferredShape(components.Value(i), referred))
            n += count_instances(referred, depth + 1);
    }
    return n;
}

// Faces meshed per call of OCCT's mesher. The mesher builds its model of
// every face and edge it is given before meshing any, and frees it at the
// end: for the bench assembly's 1,605 parts in one call that model took an
// export's RSS from 86 to 216 MB, past what reading had needed (201 MB).
// In calls of about this many faces it stays near 125 MB, with both cores
// still busy within each call and the same triangles.
constexpr size_t FACES_PER_MESHING = 2000;

// Tessellates the shapes, whole parts at a time, in their own (unplaced)
// frames: a face's triangulation is shared by all its instances, so
// meshing each prototype once meshes every placement of it.
pf_cad_status mesh_shapes(const std::vector<TopoDS_Shape> &shapes, const pf_cad_mesh_opts *opts) {
    for (size_t next = 0; next < shapes.size();) {
        TopoDS_Compound some;
        BRep_Builder builder;
        builder.MakeCompound(some);
        for (size_t faces = 0; next < shapes.size() && faces < FACES_PER_MESHING; next++) {
            builder.Add(some, shapes[next]);
            for (TopExp_Explorer f(shapes[next], TopAbs_FACE); f.More(); f.Next())
                faces++;
        }
        BRepMesh_IncrementalMesh mesher(some, opts->linear_deflection, opts->relative != 0, opts->angular_deflection,
                                        opts->parallel != 0);
        if (!mesher.IsDone()) return fail(PF_CAD_EMESH, "the tessellation did not finish");
    }
    return PF_CAD_OK;
}

std::string part_name(const TDF_Label &label) {
    std::string name = label_name(label);
    return name.empty() ? "unnamed" : name;
}

// Whether a wire of shape has a defect the default healing mends before
// meshing (order, connection, small or degenerated edges, missing or
// inconsistent curves, a lacking edge, an open wire).
bool wires_need_healing(const TopoDS_Shape &shape, double precision) {
    TopTools_IndexedMapOfShape faces;
    TopExp::MapShapes(shape, TopAbs_FACE, faces);
    for (Standard_Integer i = 1; i <= faces.Extent(); i++) {
        const TopoDS_Face &face = TopoDS::Face(faces(i));
        for (TopoDS_Iterator w(face); w.More(); w.Next()) {
            if (w.Value().ShapeType() != TopAbs_WIRE) continue;
            ShapeAnalysis_Wire wire(TopoDS::Wire(w.Value()), face, precision);
            if (wire.CheckOrder() || wire.CheckConnected() || wire.CheckSmall(precision) || wire.CheckEdgeCurves() ||
                wire.CheckDegenerated() || wire.CheckLacking() || wire.CheckClosed())
                return true;
        }
    }
    return false;
}

// Stores on each edge of a planar face its curve in the plane. STEP files
// seldom carry these, and OCCT works one out afresh each time it is asked
// (BRep_Tool::CurveOnPlane, a projection; 8% of an export's CPU): the
// mesher asks several times per edge. Storing the very curve OCCT would
// make (BRepLib's own function) gives the mesher the same answer once.
// Only on parts whose wires need no healing, after their check: the wire
// checks tell a stored curve from one worked out. (A part healed later
// for its mesh is healed with the curves stored: the GLBs of 44 sample
// files came out byte for byte the same as without.)
void store_plane_pcurves(const TopoDS_Shape &shape) {
    for (TopExp_Explorer f(shape, TopAbs_FACE); f.More(); f.Next()) {
        const TopoDS_Face &face = TopoDS::Face(f.Current());
        for (TopExp_Explorer e(face, TopAbs_EDGE); e.More(); e.Next())
            BRepLib::BuildPCurveForEdgeOnPlane(TopoDS::Edge(e.Current()), face);
    }
}

// The distinct parts with a wire that needs healing, for adaptive healing
// to heal after meshing.
void find_wires_to_heal(pf_cad_doc *d) {
    for (const part &p : distinct_parts(d)) {
        if (wires_need_healing(p.shape, d->precision))
            d->wires_to_heal.Add(p.shape);
        else
            store_plane_pcurves(p.shape);
    }
}

// Calls fn(0) .. fn(n - 1), on every core when parallel, each index once,
// and rethrows the first exception on this thread (for guarded()). Plain
// threads rather than OSD_Parallel: TBB hands its tasks over inside a
// library ThreadSanitizer does not see, so every read of the caller's
// data on TBB's threads was reported as a race, and a report ends the
// module's child.
template <typename F> void for_each_on_cores(size_t n, bool parallel, F fn) {
    size_t cores = parallel ? std::max(1u, std::thread::hardware_concurrency()) : 1;
    std::atomic<size_t> next{0};
    std::mutex lock;
    std::exception_ptr failed;
    auto work = [&]() {
        try {
            for (size_t i; (i = next.fetch_add(1)) < n;)
                fn(i);
        } catch (...) {
            std::lock_guard<std::mutex> held(lock);
            if (!failed) failed = std::current_exception();
            next = n; // the others stop at their next index
        }
    };
    std::vector<std::thread> helpers;
    for (size_t t = 1; t < std::min(cores, n); t++)
        helpers.emplace_back(work);
    work();
    for (std::thread &t : helpers)
        t.join();
    if (failed) std::rethrow_exception(failed);
}

// Adaptive healing: the parts with a defect (a wire that healing mends, a
// face without triangles, a shell inside out) are healed as OCCT heals every
// shape by default, put back into the document and meshed again; the others
// stay as read. Located part shapes cannot be replaced (XCAF refuses them) and are
// left to the full fallback in pf_cad_mesh.
pf_cad_status heal_defective_parts(pf_cad_doc *doc, const std::vector<part> &parts, const pf_cad_mesh_opts *opts) {
    Handle(XCAFDoc_ShapeTool) tool = XCAFDoc_DocumentTool::ShapeTool(doc->doc->Main());
    std::vector<TopoDS_Shape> healed;
    // The checks of the mesh only read their part, so they share out on
    // both cores (the wires were checked on reading). Healing then runs in
    // order, on this thread.
    std::vector<char> defective(parts.size(), 0);
    for_each_on_cores(parts.size(), opts->parallel != 0, [&](size_t i) {
        const part &p = parts[i];
        size_t faces = 0;
        defective[i] = doc->wires_to_heal.Contains(p.shape) || unmeshed_in(p.shape, &faces) != 0 ||
                       inside_out_shells(p.shape) != 0;
    });
    for (size_t i = 0; i < parts.size(); i++) {
        const part &p = parts[i];
        if (!defective[i] || !p.shape.Location().IsIdentity()) continue;
        Handle(ShapeBuild_ReShape) context;
        TopoDS_Shape fixed = heal_shape(p.shape, doc->precision, doc->max_tolerance, context);
        if (fixed.IsNull() || context.IsNull()) continue;
        // Sub-shape labels (a face with its own colour) follow their shapes
        // first: SetShape forgets those whose shape the new part lacks.
        TDF_LabelSequence subs;
        XCAFDoc_ShapeTool::GetSubShapes(p.label, subs);
        for (Standard_Integer i = 1; i <= subs.Length(); i++) {
            TopoDS_Shape old = XCAFDoc_ShapeTool::GetShape(subs.Value(i)), now = context->Apply(old);
            if (!now.IsNull() && !now.IsEqual(old)) TNaming_Builder(subs.Value(i)).Generated(now);
        }
        tool->SetShape(p.label, fixed);
        healed.push_back(fixed);
        doc->healed_parts.push_back(part_name(p.label));
    }
    if (healed.empty()) return PF_CAD_OK;
    tool->UpdateAssemblies(); // assemblies hold compounds of their parts' shapes
    collect_free_shapes(doc);
    return mesh_shapes(healed, opts);
}

pf_cad_status mesh_document(pf_cad_doc *doc, const pf_cad_mesh_opts *opts) {
    std::vector<part> parts = distinct_parts(doc);
    std::vector<TopoDS_Shape> shapes;
    for (const part &p : parts)
        shapes.push_back(p.shape);
    pf_cad_status status = mesh_shapes(shapes, opts);
    if (status != PF_CAD_OK) return status;
    doc->meshed = true;
    doc->meshed_shapes = parts.size();
    TDF_LabelSequence roots;
    XCAFDoc_DocumentTool::ShapeTool(doc->doc->Main())->GetFreeShapes(roots);
    doc->instances = 0;
    for (Standard_Integer i = 1; i <= roots.Length(); i++)
        doc->instances += count_instances(roots.Value(i), 0);
    doc->healed_parts.clear();
    if (doc->healed == healing::adaptive) status = heal_defective_parts(doc, parts, opts);
    doc->unmeshed_faces = unmeshed_in(doc->all, &doc->faces);
    return status;
}

} // namespace

extern "C" pf_cad_status pf_cad_mesh(pf_cad_doc *doc, const pf_cad_mesh_opts *opts) {
    return guarded("meshing", [&]() -> pf_cad_status {
        if (!(opts->linear_deflection > 0)) return fail(PF_CAD_EMESH, "the linear deflection must be positive");
        pf_cad_status status = mesh_document(doc, opts);
        if (status != PF_CAD_OK || doc->healed != healing::adaptive) return status;
        // Adaptive healing must not cost a face or a normal: when a healed
        // part still fails, or a part could not be healed alone, heal as OCCT
        // does by default (the same run as occt-draw's ReadStep) and mesh again.
        size_t inverted = inside_out_shells(doc->all);
        if (doc->unmeshed_faces == 0 && inverted == 0) {
            if (!doc->healed_parts.empty())
                doc->healing_note = "adaptive (healed " + std::to_string(doc->healed_parts.size()) + " of " +
                                    std::to_string(doc->meshed_shapes) + " parts)";
            return PF_CAD_OK;
        }
        std::string why = "full (after adaptive healing left " + std::to_string(doc->unmeshed_faces) +
                          " faces untessellated and " + std::to_string(inverted) + " shells inside out)";
        pf_cad_doc healed;
        status = read_step(doc->path.c_str(), healing::full, false, &healed);
        if (status != PF_CAD_OK) {
            close_document(healed.doc);
            return status;
        }
        std::swap(doc->doc, healed.doc);
        std::swap(doc->all, healed.all);
        close_document(healed.doc);
        doc->roots = healed.roots;
        doc->unit_m = healed.unit_m;
        doc->healed = healing::full;
        doc->healing_note = why;
        return mesh_document(doc, opts);
    });
}

extern "C" const char *pf_cad_healing(const pf_cad_doc *doc) { return doc->healing_note.c_str(); }
extern "C" size_t pf_cad_healed_part_count(const pf_cad_doc *doc) { return doc->healed_parts.size(); }
extern "C" const char *pf_cad_healed_part(const pf_cad_doc *doc, size_t i) {
    return i < doc->healed_parts.size() ? doc->healed_parts[i].c_str() : nullptr;
}

extern "C" size_t pf_cad_meshed_shapes(const pf_cad_doc *doc, size_t *instances) {
    if (instances) *instances = doc->instances;
    return doc->meshed_shapes;
}
extern "C" pf_cad_overrides pf_cad_overrides_used(const pf_cad_doc *doc) { return doc->overrides; }

extern "C" size_t pf_cad_unmeshed_faces(const pf_cad_doc *doc, size_t *faces) {
    if (faces) *faces = doc->faces;
    return doc->unmeshed_faces;
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

extern "C" pf_cad_status pf_cad_rough_diagonal(const pf_cad_doc *doc, double *diagonal) {
    return guarded("estimating the model's size", [&]() -> pf_cad_status {
        Bnd_Box box;
        BRepBndLib::Add(doc->all, box, Standard_False);
        if (box.IsVoid()) return fail(PF_CAD_EEMPTY, "the document has no extent");
        *diagonal = std::sqrt(box.SquareExtent());
        return PF_CAD_OK;
    });
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
        glb_output_scope output;
        bool written = writer.Perform(doc->doc, info, Message_ProgressRange());
        doc->overrides.buffered_writes += output.files();
        if (!written) return fail(PF_CAD_EWRITE, std::string("cannot write ") + path);
        return PF_CAD_OK;
    });
}

namespace {

// Names cross the C API as UTF-8; OCCT reads a plain char string byte by byte.
TCollection_ExtendedString utf8_name(const char *name) { return TCollection_ExtendedString(name, Standard_True); }

size_t shape_triangles(const TopoDS_Shape &shape) {
    size_t n = 0;
    for (TopExp_Explorer e(shape, TopAbs_FACE); e.More(); e.Next()) {
        TopLoc_Location loc;
        Handle(Poly_Triangulation) t = BRep_Tool::Triangulation(TopoDS::Face(e.Current()), loc);
        if (!t.IsNull()) n += (size_t)t->NbTriangles();
    }
    return n;
}

struct walker {
    const pf_cad_doc *doc;
    bool geometry; // boxes and triangles too
    Handle(XCAFDoc_ShapeTool) shapes;
    Handle(XCAFDoc_ColorTool) colours;
    pf_cad_node_fn fn;
    void *user;
};

bool find_colour(const walker &w, const TDF_Label &a, const TDF_Label &b, double out[3]) {
    Quantity_Color c;
    for (const TDF_Label *l : {&a, &b})
        for (XCAFDoc_ColorType t : {XCAFDoc_ColorGen, XCAFDoc_ColorSurf})
            if (!l->IsNull() && w.colours->GetColor(*l, t, c)) {
                out[0] = c.Red(), out[1] = c.Green(), out[2] = c.Blue(); // OCCT keeps colours linear
                return true;
            }
    return false;
}

// segment is the path step: the shown name, with "[n]" for repeated siblings.
void visit(const walker &w, const TDF_Label &instance, const TDF_Label &prototype, const TopLoc_Location &placed,
           const std::string &parent, const std::string &name, const std::string &segment, int depth) {
    std::string product = label_name(prototype);
    std::string shown = name.empty() ? product : name;
    if (shown.empty()) shown = "unnamed";
    std::string path = parent + "/" + (segment.empty() ? shown : segment);
    bool assembly = XCAFDoc_ShapeTool::IsAssembly(prototype);
    pf_cad_node node{};
    node.path = path.c_str();
    node.name = shown.c_str();
    node.product = product.c_str();
    node.parent = parent.empty() ? nullptr : parent.c_str();
    node.is_assembly = assembly;
    node.has_colour = find_colour(w, instance, prototype, node.colour);
    TopoDS_Shape shape =
        w.geometry && w.doc->meshed ? XCAFDoc_ShapeTool::GetShape(prototype).Located(placed) : TopoDS_Shape();
    if (!shape.IsNull()) {
        Bnd_Box box;
        BRepBndLib::AddOptimal(shape, box, Standard_True, Standard_False);
        if (!box.IsVoid()) {
            Standard_Real x0, y0, z0, x1, y1, z1;
            box.Get(x0, y0, z0, x1, y1, z1);
            const double s = w.doc->unit_m;
            node.has_bbox = 1;
            node.min[0] = x0 * s, node.min[1] = y0 * s, node.min[2] = z0 * s;
            node.max[0] = x1 * s, node.max[1] = y1 * s, node.max[2] = z1 * s;
        }
        if (!assembly) node.triangles = shape_triangles(shape);
    }
    w.fn(w.user, &node);
    if (!assembly || depth > 64) return;
    TDF_LabelSequence components;
    XCAFDoc_ShapeTool::GetComponents(prototype, components);
    std::map<std::string, int> seen;
    for (Standard_Integer i = 1; i <= components.Length(); i++) {
        TDF_Label comp = components.Value(i), referred;
        if (!XCAFDoc_ShapeTool::GetReferredShape(comp, referred)) continue;
        std::string child = label_name(comp);
        if (child.empty()) child = label_name(referred);
        if (child.empty()) child = "unnamed";
        int n = ++seen[child];
        std::string segment = n > 1 ? child + "[" + std::to_string(n) + "]" : child;
        TopLoc_Location loc = placed * XCAFDoc_ShapeTool::GetLocation(comp);
        visit(w, comp, referred, loc, path, child, segment, depth + 1);
    }
}

} // namespace

extern "C" pf_cad_status pf_cad_walk(const pf_cad_doc *doc, pf_cad_walk_what what, pf_cad_node_fn fn, void *user) {
    return guarded("walking the assembly", [&]() -> pf_cad_status {
        walker w{doc,
                 what == PF_CAD_WALK_GEOMETRY,
                 XCAFDoc_DocumentTool::ShapeTool(doc->doc->Main()),
                 XCAFDoc_DocumentTool::ColorTool(doc->doc->Main()),
                 fn,
                 user};
        TDF_LabelSequence roots;
        w.shapes->GetFreeShapes(roots);
        for (Standard_Integer i = 1; i <= roots.Length(); i++)
            visit(w, roots.Value(i), roots.Value(i), TopLoc_Location(), "", "", "", 0);
        return PF_CAD_OK;
    });
}

struct pf_cad_builder {
    Handle(TDocStd_Document) doc;
    Handle(XCAFDoc_ShapeTool) shapes;
    Handle(XCAFDoc_ColorTool) colours;
    std::vector<TDF_Label> labels;
};

extern "C" pf_cad_builder *pf_cad_builder_new(void) {
    quiet_once();
    try {
        auto *b = new pf_cad_builder();
        XCAFApp_Application::GetApplication()->NewDocument("BinXCAF", b->doc);
        b->shapes = XCAFDoc_DocumentTool::ShapeTool(b->doc->Main());
        b->colours = XCAFDoc_DocumentTool::ColorTool(b->doc->Main());
        return b;
    } catch (...) {
        last_error = "cannot create a CAD document";
        return nullptr;
    }
}

extern "C" void pf_cad_builder_free(pf_cad_builder *b) {
    if (b) close_document(b->doc);
    delete b;
}

extern "C" int pf_cad_builder_part(pf_cad_builder *b, const char *name, pf_cad_primitive kind, const double size[3],
                                   const double *srgb) {
    int id = -1;
    guarded("building a part", [&]() -> pf_cad_status {
        TopoDS_Shape shape;
        switch (kind) {
        case PF_CAD_BOX: shape = BRepPrimAPI_MakeBox(size[0], size[1], size[2]).Shape(); break;
        case PF_CAD_CYLINDER: shape = BRepPrimAPI_MakeCylinder(size[0], size[1]).Shape(); break;
        case PF_CAD_SPHERE: shape = BRepPrimAPI_MakeSphere(size[0]).Shape(); break;
        case PF_CAD_TORUS: shape = BRepPrimAPI_MakeTorus(size[0], size[1]).Shape(); break;
        }
        TDF_Label label = b->shapes->AddShape(shape, Standard_False);
        TDataStd_Name::Set(label, utf8_name(name));
        if (srgb)
            b->colours->SetColor(label, Quantity_Color(srgb[0], srgb[1], srgb[2], Quantity_TOC_sRGB), XCAFDoc_ColorGen);
        b->labels.push_back(label);
        id = (int)b->labels.size() - 1;
        return PF_CAD_OK;
    });
    return id;
}

extern "C" pf_cad_status pf_cad_builder_turn_inside_out(pf_cad_builder *b, int part) {
    return guarded("turning a part inside out", [&]() -> pf_cad_status {
        if (part < 0 || (size_t)part >= b->labels.size()) return fail(PF_CAD_EINTERNAL, "no such part");
        TopoDS_Shape shape = XCAFDoc_ShapeTool::GetShape(b->labels[(size_t)part]);
        BRep_Builder builder;
        TopoDS_Compound inverted;
        builder.MakeCompound(inverted);
        for (TopExp_Explorer s(shape, TopAbs_SOLID); s.More(); s.Next()) {
            TopoDS_Solid solid;
            builder.MakeSolid(solid);
            for (TopoDS_Iterator sh(s.Current()); sh.More(); sh.Next()) {
                TopoDS_Shell shell;
                builder.MakeShell(shell);
                for (TopoDS_Iterator f(sh.Value()); f.More(); f.Next())
                    builder.Add(shell, f.Value().Reversed());
                builder.Add(solid, shell);
            }
            builder.Add(inverted, solid);
        }
        TopoDS_Iterator one(inverted);
        if (!one.More()) return fail(PF_CAD_EINTERNAL, "the part has no solid to turn inside out");
        b->shapes->SetShape(b->labels[(size_t)part], one.Value());
        return PF_CAD_OK;
    });
}

extern "C" int pf_cad_builder_assembly(pf_cad_builder *b, const char *name) {
    int id = -1;
    guarded("building an assembly", [&]() -> pf_cad_status {
        TDF_Label label = b->shapes->NewShape();
        TDataStd_Name::Set(label, utf8_name(name));
        b->labels.push_back(label);
        id = (int)b->labels.size() - 1;
        return PF_CAD_OK;
    });
    return id;
}

extern "C" pf_cad_status pf_cad_builder_place(pf_cad_builder *b, int assembly, int component, const char *instance_name,
                                              const double offset[3]) {
    return guarded("placing a component", [&]() -> pf_cad_status {
        if (assembly < 0 || component < 0 || (size_t)assembly >= b->labels.size() ||
            (size_t)component >= b->labels.size())
            return fail(PF_CAD_EINTERNAL, "no such part or assembly");
        gp_Trsf move;
        move.SetTranslation(gp_Vec(offset[0], offset[1], offset[2]));
        TDF_Label inst =
            b->shapes->AddComponent(b->labels[(size_t)assembly], b->labels[(size_t)component], TopLoc_Location(move));
        if (inst.IsNull()) return fail(PF_CAD_EINTERNAL, "the component could not be placed");
        if (instance_name) TDataStd_Name::Set(inst, utf8_name(instance_name));
        return PF_CAD_OK;
    });
}

extern "C" pf_cad_status pf_cad_builder_write_step(pf_cad_builder *b, const char *path) {
    return guarded("writing STEP", [&]() -> pf_cad_status {
        b->shapes->UpdateAssemblies();
        std::lock_guard<std::mutex> guard(reader_lock());
        STEPCAFControl_Writer writer;
        writer.SetColorMode(true);
        writer.SetNameMode(true);
        if (!writer.Transfer(b->doc, STEPControl_AsIs))
            return fail(PF_CAD_EWRITE, "the document could not be transferred");
        if (writer.Write(path) != IFSelect_RetDone) return fail(PF_CAD_EWRITE, std::string("cannot write ") + path);
        return PF_CAD_OK;
    });
}

// The module's entry point (cad_module.h). The module is built with hidden
// visibility, so the pf_cad_* functions above are reached only through this
// table and never clash with the loader's functions of the same names.
extern "C" __attribute__((visibility("default"))) const pf_cad_api *pf_cad_module_v1(void) {
    glb_output_register();
    static const pf_cad_api api = {
        PF_CAD_MODULE_ABI,
        sizeof(pf_cad_api),
        pf_cad_last_error,
        pf_cad_open_step,
        pf_cad_close,
        pf_cad_root_count,
        pf_cad_length_unit,
        pf_cad_mesh,
        pf_cad_healing,
        pf_cad_healed_part_count,
        pf_cad_healed_part,
        pf_cad_meshed_shapes,
        pf_cad_overrides_used,
        pf_cad_unmeshed_faces,
        pf_cad_triangle_count,
        pf_cad_rough_diagonal,
        pf_cad_bbox,
        pf_cad_write_glb,
        pf_cad_walk,
        pf_cad_builder_new,
        pf_cad_builder_free,
        pf_cad_builder_part,
        pf_cad_builder_turn_inside_out,
        pf_cad_builder_assembly,
        pf_cad_builder_place,
        pf_cad_builder_write_step,
    };
    return &api;
}
