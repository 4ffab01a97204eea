// Placing a component, OCCT 7.6's STEP reader asks
// STEPConstruct_Assembly::CheckSRRReversesNAUO whether the shape
// representation relationship names the assembly and the component in the
// order the assembly link (NAUO) does. To answer, it finds the product
// definition of each representation through the entities that share it,
// and Interface_Graph::Sharings copies all of them into a new sequence of
// handles first. An assembly's representation is shared by the
// relationship of every one of its components, so each component copied
// the whole list: the square of the component count (2,005 on the bench
// assembly: 4 million handle copies, a third of the transfer).
//
// The definition below takes precedence over the library's (ELF symbol
// interposition; OCCT's own calls go through the PLT, and step_input.cpp
// says why that holds with RTLD_LOCAL). It answers the same question the
// same way, in the same order, but walks the graph's table of sharing
// entity numbers in place and stops at the first shape definition
// representation, as OCCT's loop does; nothing is copied. Outside a
// step_assembly_scope (a read of OCCT as shipped, for the benches), or when
// the graph has no sharing table, it leaves the call to OCCT.
#include "cad/step_assembly.h"

#include <Interface_Graph.hxx>
#include <StepBasic_ProductDefinition.hxx>
#include <StepRepr_NextAssemblyUsageOccurrence.hxx>
#include <StepRepr_ProductDefinitionShape.hxx>
#include <StepRepr_PropertyDefinition.hxx>
#include <StepRepr_Representation.hxx>
#include <StepRepr_RepresentationRelationship.hxx>
#include <StepRepr_ShapeRepresentationRelationship.hxx>
#include <StepShape_ContextDependentShapeRepresentation.hxx>
#include <StepShape_ShapeDefinitionRepresentation.hxx>
#include <TColStd_HArray1OfListOfInteger.hxx>

#include <dlfcn.h>

// STEPConstruct_Assembly::CheckSRRReversesNAUO(const Interface_Graph &,
//     const Handle(StepShape_ContextDependentShapeRepresentation) &)
#define CHECK_SRR_SYMBOL                                                                                               \
    "_ZN22STEPConstruct_Assembly20CheckSRRReversesNAUOERK15Interface_GraphRKN11opencascade6handleI45StepShape_"        \
    "ContextDependentShapeRepresentationEE"

namespace {

thread_local step_assembly_scope *active = nullptr;

using cdsr_handle = Handle(StepShape_ContextDependentShapeRepresentation);

// The product definition of the first shape definition representation (of
// exactly that type, as OCCT compares) that uses rep; null when none does.
Handle(StepBasic_ProductDefinition)
    defining_product(const Interface_Graph &graph, const TColStd_HArray1OfListOfInteger &sharings,
                     const Handle(StepRepr_Representation) & rep) {
    Standard_Integer num = graph.EntityNumber(rep);
    if (num < sharings.Lower() || num > sharings.Upper()) return nullptr;
    const Handle(Standard_Type) sdr_type = STANDARD_TYPE(StepShape_ShapeDefinitionRepresentation);
    for (TColStd_ListIteratorOfListOfInteger it(sharings.Value(num)); it.More(); it.Next()) {
        const Handle(Standard_Transient) &entity = graph.Entity(it.Value());
        if (entity.IsNull() || entity->DynamicType() != sdr_type) continue;
        const auto *sdr = static_cast<const StepShape_ShapeDefinitionRepresentation *>(entity.get());
        if (sdr->UsedRepresentation() != rep) continue;
        Handle(StepRepr_PropertyDefinition) property = sdr->Definition().PropertyDefinition();
        if (property.IsNull()) continue;
        Handle(StepBasic_ProductDefinition) pd = property->Definition().ProductDefinition();
        if (!pd.IsNull()) return pd;
    }
    return nullptr;
}

bool occt_check(const Interface_Graph &graph, const cdsr_handle &cdsr) {
    using check_fn = Standard_Boolean (*)(const Interface_Graph &, const cdsr_handle &);
    static const check_fn occt = (check_fn)dlsym(RTLD_NEXT, CHECK_SRR_SYMBOL);
    return occt ? occt(graph, cdsr) : false;
}

} // namespace

step_assembly_scope::step_assembly_scope() : outer_(active) { active = this; }
step_assembly_scope::~step_assembly_scope() { active = outer_; }

// Counts into the active scope (a friend of it).
struct step_assembly_check {
    static void count() { active->checks_++; }
};

// Exported from the module (built with hidden visibility): interposition
// binds by the dynamic symbol table.
extern "C" __attribute__((visibility("default"))) Standard_Boolean
step_check_srr_reverses_nauo(const Interface_Graph &graph, const cdsr_handle &cdsr) __asm__(CHECK_SRR_SYMBOL);
extern "C" Standard_Boolean step_check_srr_reverses_nauo(const Interface_Graph &graph, const cdsr_handle &cdsr) {
    const Handle(TColStd_HArray1OfListOfInteger) &sharings = graph.SharingTable();
    if (!active || sharings.IsNull()) return occt_check(graph, cdsr);
    step_assembly_check::count();
    if (cdsr->RepresentedProductRelation().IsNull() || cdsr->RepresentationRelation().IsNull())
        return Standard_False; // OCCT's own would dereference them
    Handle(StepRepr_NextAssemblyUsageOccurrence) nauo = Handle(StepRepr_NextAssemblyUsageOccurrence)::DownCast(
        cdsr->RepresentedProductRelation()->Definition().ProductDefinitionRelationship());
    if (nauo.IsNull()) return Standard_False;
    Handle(StepRepr_Representation) rep1 = cdsr->RepresentationRelation()->Rep1();
    Handle(StepRepr_Representation) rep2 = cdsr->RepresentationRelation()->Rep2();
    if (rep1.IsNull() || rep2.IsNull()) return Standard_False;
    Handle(StepBasic_ProductDefinition) pd1 = defining_product(graph, *sharings, rep1);
    Handle(StepBasic_ProductDefinition) pd2 = defining_product(graph, *sharings, rep2);
    const Handle(StepBasic_ProductDefinition) &related = nauo->RelatedProductDefinition();
    const Handle(StepBasic_ProductDefinition) &relating = nauo->RelatingProductDefinition();
    if (pd1 == related && pd2 == relating) return Standard_False; // in the NAUO's order
    // Reversed, or (OCCT's rule for files with bad assemblies) half matching
    // the reversed order.
    return pd2 == related || pd1 == relating;
}
