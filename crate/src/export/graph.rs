//! An ONNX graph under construction: owned names, nodes and tensors, handed to onnx-rs (a
//! protobuf encoder without dependencies) only to be written.

use onnx_rs::ast::{
    Attribute, AttributeType, DataType, Dimension, Graph as OnnxGraph, Model, Node, OpType, OperatorSetId, StringStringEntry, TensorProto, TensorShape,
    TensorShapeDimension, TensorTypeProto, TypeProto, TypeValue, ValueInfo,
};

/// The operator set the graph is written for: every op used here has its opset-17 form.
pub const OPSET: i64 = 17;

/// A node's attribute.
pub enum Attr {
    Int(&'static str, i64),
    Ints(&'static str, Vec<i64>),
    Text(&'static str, &'static str),
}

struct NodeSpec {
    op: &'static str,
    inputs: Vec<String>,
    outputs: Vec<String>,
    attributes: Vec<Attr>,
}

enum Values {
    F32(Vec<f32>),
    I64(Vec<i64>),
}

/// A dimension of a graph input or output: fixed, or named (the batch).
pub enum Dim {
    Fixed(i64),
    Named(&'static str),
}

#[derive(Default)]
pub struct Graph {
    nodes: Vec<NodeSpec>,
    initializers: Vec<(String, Vec<i64>, Values)>,
    inputs: Vec<(String, Vec<Dim>)>,
    outputs: Vec<(String, Vec<Dim>)>,
    names: usize,
}

impl Graph {
    fn fresh(&mut self, hint: &str) -> String {
        self.names += 1;
        format!("{hint}_{}", self.names)
    }

    pub fn input(&mut self, name: &str, dims: Vec<Dim>) -> String {
        self.inputs.push((name.into(), dims));
        name.into()
    }

    /// Names `value` as a graph output.
    pub fn output(&mut self, value: &str, name: &str, dims: Vec<Dim>) {
        self.node("Identity", &[value], vec![]).rename(self, name);
        self.outputs.push((name.into(), dims));
    }

    pub fn floats(&mut self, hint: &str, dims: &[usize], values: Vec<f32>) -> String {
        debug_assert_eq!(dims.iter().product::<usize>(), values.len(), "{hint}");
        let name = self.fresh(hint);
        self.initializers.push((name.clone(), dims.iter().map(|&d| d as i64).collect(), Values::F32(values)));
        name
    }

    pub fn scalar(&mut self, hint: &str, value: f32) -> String {
        self.floats(hint, &[], vec![value])
    }

    pub fn ints(&mut self, hint: &str, values: Vec<i64>) -> String {
        let name = self.fresh(hint);
        self.initializers.push((name.clone(), vec![values.len() as i64], Values::I64(values)));
        name
    }

    /// A node with one output.
    pub fn node(&mut self, op: &'static str, inputs: &[&str], attributes: Vec<Attr>) -> Output {
        self.node_n(op, inputs, 1, attributes).remove(0)
    }

    /// A node with `n` outputs.
    pub fn node_n(&mut self, op: &'static str, inputs: &[&str], n: usize, attributes: Vec<Attr>) -> Vec<Output> {
        let outputs: Vec<String> = (0..n).map(|_| self.fresh(&op.to_lowercase())).collect();
        let index = self.nodes.len();
        self.nodes.push(NodeSpec { op, inputs: inputs.iter().map(|s| s.to_string()).collect(), outputs: outputs.clone(), attributes });
        outputs.into_iter().enumerate().map(|(slot, name)| Output { node: index, slot, name }).collect()
    }

    /// The model file: the graph, its opset and `metadata` (`metadata_props`).
    pub fn encode(&self, producer: &str, metadata: &[(String, String)]) -> Vec<u8> {
        fn shape(dims: &[Dim]) -> TypeProto<'_> {
            TypeProto {
                value: Some(TypeValue::Tensor(TensorTypeProto {
                    elem_type: DataType::Float,
                    shape: Some(TensorShape {
                        dim: dims
                            .iter()
                            .map(|d| TensorShapeDimension {
                                value: match d {
                                    Dim::Fixed(v) => Dimension::Value(*v),
                                    Dim::Named(n) => Dimension::Param(n),
                                },
                                denotation: "",
                            })
                            .collect(),
                    }),
                })),
                denotation: "",
            }
        }
        fn value_info((name, dims): &(String, Vec<Dim>)) -> ValueInfo<'_> {
            ValueInfo { name, r#type: Some(shape(dims)), ..Default::default() }
        }
        let nodes = self
            .nodes
            .iter()
            .map(|n| Node {
                input: n.inputs.iter().map(String::as_str).collect(),
                output: n.outputs.iter().map(String::as_str).collect(),
                name: &n.outputs[0],
                op_type: OpType::from(n.op),
                attribute: n.attributes.iter().map(attribute).collect(),
                ..Default::default()
            })
            .collect();
        let initializer = self
            .initializers
            .iter()
            .map(|(name, dims, values)| match values {
                Values::F32(v) => TensorProto::from_f32(name, dims.clone(), v.clone()),
                Values::I64(v) => TensorProto::from_i64(name, dims.clone(), v.clone()),
            })
            .collect();
        let graph = OnnxGraph {
            node: nodes,
            name: "glimpse",
            initializer,
            input: self.inputs.iter().map(value_info).collect(),
            output: self.outputs.iter().map(value_info).collect(),
            ..Default::default()
        };
        let model = Model {
            ir_version: 8,
            opset_import: vec![OperatorSetId { domain: "", version: OPSET }],
            producer_name: producer,
            producer_version: env!("CARGO_PKG_VERSION"),
            graph: Some(graph),
            metadata_props: metadata.iter().map(|(key, value)| StringStringEntry { key, value }).collect(),
            ..Default::default()
        };
        onnx_rs::encode(&model)
    }
}

fn attribute(a: &Attr) -> Attribute<'_> {
    match a {
        Attr::Int(name, i) => Attribute { name, r#type: AttributeType::Int, i: *i, ..Default::default() },
        Attr::Ints(name, ints) => Attribute { name, r#type: AttributeType::Ints, ints: ints.clone(), ..Default::default() },
        Attr::Text(name, s) => Attribute { name, r#type: AttributeType::String, s: s.as_bytes(), ..Default::default() },
    }
}

/// A node's output: its name, and where it is, so that it can be renamed as a graph output.
pub struct Output {
    node: usize,
    slot: usize,
    name: String,
}

impl Output {
    pub fn name(&self) -> &str {
        &self.name
    }

    fn rename(self, graph: &mut Graph, name: &str) {
        graph.nodes[self.node].outputs[self.slot] = name.to_string();
    }
}

impl std::ops::Deref for Output {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}
