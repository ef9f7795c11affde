//! Orders a wasm module's functions by name and drops the name section.
//!
//! rustc emits a generic's instances wherever the linker happens to put them, so gzip, which only
//! looks 32 KB back, rarely sees two copies of the same code at once. Placed side by side (sorted
//! by their symbol without its hash, then by size), the WebGPU build's code compresses 12 % better.
//! Only the function and code sections move; every function index is renumbered to match.

use std::collections::HashMap;

use wasm_encoder::reencode::{self, Reencode};
use wasm_encoder::{CodeSection, FunctionSection, Module};
use wasmparser::{CodeSectionReader, CustomSectionReader, FunctionSectionReader, KnownCustom, Name, Parser, Payload, TypeRef, Validator, WasmFeatures};

/// `wasm` with its functions sorted by name and no name section; fails on a module it cannot
/// parse, or if the result does not validate.
pub fn order_by_name(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let mut reorder = Reorder::of(wasm).map_err(|e| format!("cannot read the module: {e}"))?;
    let mut module = Module::new();
    reorder.parse_core_module(&mut module, Parser::new(0), wasm).map_err(|e| format!("cannot rewrite the module: {e}"))?;
    let ordered = module.finish();
    Validator::new_with_features(WasmFeatures::all()).validate_all(&ordered).map_err(|e| format!("the reordered module does not validate: {e}"))?;
    Ok(ordered)
}

/// The symbol without rustc's trailing hash (`17h` + 16 hex digits + `E`), so that a generic's
/// instances share a key.
fn stem(symbol: &str) -> &str {
    let hash = symbol
        .len()
        .checked_sub(20)
        .and_then(|start| symbol.get(start..))
        .filter(|tail| tail.starts_with("17h") && tail.ends_with('E') && tail[3..19].bytes().all(|b| b.is_ascii_hexdigit()));
    match hash {
        Some(tail) => &symbol[..symbol.len() - tail.len()],
        None => symbol,
    }
}

struct Reorder {
    /// Position in the new code section → the defined function that goes there.
    order: Vec<usize>,
    /// Old function index (imports first) → new.
    renumber: Vec<u32>,
}

impl Reorder {
    fn of(wasm: &[u8]) -> Result<Self, wasmparser::BinaryReaderError> {
        let (mut imported, mut sizes, mut names) = (0usize, Vec::new(), HashMap::new());
        for payload in Parser::new(0).parse_all(wasm) {
            match payload? {
                Payload::ImportSection(section) => {
                    for import in section.into_imports() {
                        if matches!(import?.ty, TypeRef::Func(_) | TypeRef::FuncExact(_)) {
                            imported += 1;
                        }
                    }
                }
                Payload::CodeSectionEntry(body) => sizes.push(body.range().len()),
                Payload::CustomSection(section) => {
                    if let KnownCustom::Name(subsections) = section.as_known() {
                        for subsection in subsections {
                            if let Name::Function(map) = subsection? {
                                for naming in map {
                                    let naming = naming?;
                                    names.insert(naming.index as usize, naming.name);
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let mut order: Vec<usize> = (0..sizes.len()).collect();
        order.sort_by_key(|&f| (names.get(&(imported + f)).map(|n| stem(n)), sizes[f], f));
        let mut renumber: Vec<u32> = (0..(imported + sizes.len()) as u32).collect();
        for (position, &f) in order.iter().enumerate() {
            renumber[imported + f] = (imported + position) as u32;
        }
        Ok(Self { order, renumber })
    }
}

impl Reencode for Reorder {
    type Error = std::convert::Infallible;

    fn function_index(&mut self, func: u32) -> Result<u32, reencode::Error> {
        Ok(self.renumber[func as usize])
    }

    fn parse_function_section(&mut self, functions: &mut FunctionSection, section: FunctionSectionReader<'_>) -> Result<(), reencode::Error> {
        let types = section.into_iter().collect::<Result<Vec<u32>, _>>()?;
        for &f in &self.order {
            functions.function(types[f]);
        }
        Ok(())
    }

    fn parse_code_section(&mut self, code: &mut CodeSection, section: CodeSectionReader<'_>) -> Result<(), reencode::Error> {
        let bodies = section.into_iter().collect::<Result<Vec<_>, _>>()?;
        for f in self.order.clone() {
            self.parse_function_body(code, bodies[f].clone())?;
        }
        Ok(())
    }

    fn parse_custom_section(&mut self, module: &mut Module, section: CustomSectionReader<'_>) -> Result<(), reencode::Error> {
        // The names served only to order; a browser does not need them.
        if section.name() == "name" {
            return Ok(());
        }
        reencode::utils::parse_custom_section(self, module, section)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, ElementSection, Elements, EntityType, ExportKind, ExportSection, Function, FunctionSection, ImportSection, IndirectNameMap, Instruction,
        NameMap, NameSection, RefType, TableSection, TableType, TypeSection, ValType,
    };
    use wasmparser::{ExternalKind, Operator};

    /// Imports one function, defines `c…` (calls `b`), `b` (returns 7) and `a` (calls `c…`),
    /// exports `a`, and puts `b` in a table: in name order their indices reverse.
    fn module() -> Vec<u8> {
        let mut module = Module::new();
        let mut types = TypeSection::new();
        types.ty().function([], [ValType::I32]);
        module.section(&types);
        let mut imports = ImportSection::new();
        imports.import("env", "seven", EntityType::Function(0));
        module.section(&imports);
        let mut functions = FunctionSection::new();
        (0..3).for_each(|_| {
            functions.function(0);
        });
        module.section(&functions);
        let mut tables = TableSection::new();
        tables.table(TableType { element_type: RefType::FUNCREF, minimum: 1, maximum: None, table64: false, shared: false });
        module.section(&tables);
        let mut exports = ExportSection::new();
        exports.export("run", ExportKind::Func, 3);
        module.section(&exports);
        let mut elements = ElementSection::new();
        elements.active(Some(0), &wasm_encoder::ConstExpr::i32_const(0), Elements::Functions([2].as_slice().into()));
        module.section(&elements);
        let mut code = CodeSection::new();
        for body in [Instruction::Call(2), Instruction::I32Const(7), Instruction::Call(1)] {
            let mut f = Function::new([]);
            f.instruction(&body).instruction(&Instruction::End);
            code.function(&f);
        }
        module.section(&code);
        let mut names = NameSection::new();
        let mut map = NameMap::new();
        map.append(0, "seven");
        map.append(1, "_ZN1c3zzz17h0123456789abcdefE");
        map.append(2, "_ZN1b17hfedcba9876543210E");
        map.append(3, "_ZN1a17h00000000000000ffE");
        names.functions(&map);
        names.locals(&IndirectNameMap::new());
        module.section(&names);
        module.finish()
    }

    #[test]
    fn functions_sort_by_name_and_every_reference_follows() {
        let ordered = order_by_name(&module()).unwrap();
        let (mut export, mut element, mut bodies, mut custom) = (None, Vec::new(), Vec::new(), Vec::new());
        for payload in Parser::new(0).parse_all(&ordered) {
            match payload.unwrap() {
                Payload::ExportSection(s) => {
                    let e = s.into_iter().next().unwrap().unwrap();
                    assert_eq!((e.name, e.kind), ("run", ExternalKind::Func));
                    export = Some(e.index);
                }
                Payload::ElementSection(s) => {
                    if let wasmparser::ElementItems::Functions(f) = s.into_iter().next().unwrap().unwrap().items {
                        element = f.into_iter().map(Result::unwrap).collect();
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    let first = body.get_operators_reader().unwrap().read().unwrap();
                    bodies.push(match first {
                        Operator::Call { function_index } => format!("call {function_index}"),
                        Operator::I32Const { value } => format!("const {value}"),
                        other => format!("{other:?}"),
                    });
                }
                Payload::CustomSection(s) => custom.push(s.name().to_string()),
                _ => {}
            }
        }
        // a (was 3) → 1, b (was 2) → 2, c::zzz (was 1) → 3.
        assert_eq!(bodies, ["call 3", "const 7", "call 2"]);
        assert_eq!(export, Some(1));
        assert_eq!(element, [2]);
        assert!(custom.is_empty(), "the name section is dropped: {custom:?}");
    }

    #[test]
    fn the_hash_alone_is_cut_from_a_symbol() {
        assert_eq!(stem("_ZN4core3fmt5write17h0123456789abcdefE"), "_ZN4core3fmt5write");
        assert_eq!(stem("_ZN4core3fmt5writeE"), "_ZN4core3fmt5writeE");
        assert_eq!(stem("__wbindgen_malloc"), "__wbindgen_malloc");
    }

    #[test]
    fn a_module_that_is_not_wasm_is_refused() {
        assert!(order_by_name(b"not wasm").unwrap_err().contains("cannot read the module"));
    }
}
