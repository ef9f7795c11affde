//! `wasm-order IN OUT`: see the library.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: wasm-order IN.wasm OUT.wasm");
        std::process::exit(2);
    };
    let ordered = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}")).and_then(|wasm| wasm_order::order_by_name(&wasm));
    if let Err(e) = ordered.and_then(|wasm| std::fs::write(output, wasm).map_err(|e| format!("cannot write {output}: {e}"))) {
        eprintln!("wasm-order: {e}");
        std::process::exit(1);
    }
}
