// A small typed builder for ONNX graphs, plus a fast reader for a model's metadata_props.

import {
  AttributeType,
  DataType,
  encodeModel,
  type Attribute,
  type Model,
  type Node,
  type Tensor,
  type TensorShapeDim,
  type ValueInfo,
} from './proto.js';
import { modelError } from '../core/errors.js';

/** A tensor dimension: a fixed size, or a symbolic name (written as dim_param). */
export type Dim = number | string;

/**
 * A node attribute. Plain values are mapped as: integer number → INT, other number → FLOAT,
 * string → STRING, number[] → INTS. Use the tagged forms (or the `attr` helpers) to force a
 * type, e.g. `attr.float(1)` for a float attribute whose value happens to be integral.
 */
export type AttrValue =
  | number
  | string
  | number[]
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'ints'; value: number[] }
  | { kind: 'floats'; value: number[] };

export const attr = {
  int: (value: number): AttrValue => ({ kind: 'int', value }),
  float: (value: number): AttrValue => ({ kind: 'float', value }),
  string: (value: string): AttrValue => ({ kind: 'string', value }),
  ints: (value: number[]): AttrValue => ({ kind: 'ints', value }),
  floats: (value: number[]): AttrValue => ({ kind: 'floats', value }),
};

export interface NodeSpec {
  op: string;
  inputs: string[];
  /** Output names, or a count of outputs to name automatically (default 1). */
  outputs?: string[] | number;
  attrs?: Record<string, AttrValue>;
  name?: string;
  domain?: string;
}

export interface GraphBuilderOptions {
  /** Graph name (default "chroma"). */
  name?: string;
  /** Default-domain opset version (default 17). */
  opset?: number;
  /** ModelProto.ir_version (default 8, the IR that goes with opset 17). */
  irVersion?: number;
  producerName?: string;
  producerVersion?: string;
  docString?: string;
}

const utf8 = new TextEncoder();

function toAttribute(name: string, v: AttrValue): Attribute {
  if (typeof v === 'number') {
    return Number.isInteger(v)
      ? { name, type: AttributeType.INT, i: v }
      : { name, type: AttributeType.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: AttributeType.STRING, s: utf8.encode(v) };
  if (Array.isArray(v)) {
    for (const x of v) if (!Number.isInteger(x)) throw new Error(`attribute ${name}: plain number[] means INTS; use attr.floats() for floats`);
    return { name, type: AttributeType.INTS, ints: v };
  }
  switch (v.kind) {
    case 'int':
      if (!Number.isInteger(v.value)) throw new Error(`attribute ${name}: ${v.value} is not an integer`);
      return { name, type: AttributeType.INT, i: v.value };
    case 'float':
      return { name, type: AttributeType.FLOAT, f: v.value };
    case 'string':
      return { name, type: AttributeType.STRING, s: utf8.encode(v.value) };
    case 'ints':
      return { name, type: AttributeType.INTS, ints: v.value };
    case 'floats':
      return { name, type: AttributeType.FLOATS, floats: v.value };
  }
}

function valueInfo(name: string, dims: Dim[], elemType: number): ValueInfo {
  const dim: TensorShapeDim[] = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function checkDims(name: string, dims: number[], length: number): void {
  const n = dims.reduce((a, b) => a * b, 1);
  if (n !== length) throw new Error(`initializer ${name}: dims [${dims.join(', ')}] hold ${n} values, data has ${length}`);
}

/** Builds one ONNX model: a graph, its initializers, opset imports and metadata. */
export class GraphBuilder {
  readonly opset: number;
  private readonly opts: GraphBuilderOptions;
  private readonly nodes: Node[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly opsets = new Map<string, number>();
  private readonly metadata = new Map<string, string>();
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(opts: GraphBuilderOptions = {}) {
    this.opts = opts;
    this.opset = opts.opset ?? 17;
    this.opsets.set('', this.opset);
  }

  /** A fresh value name with the given prefix. */
  uniqueName(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    this.names.add(n);
    return n;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`duplicate value name "${name}"`);
    this.names.add(name);
    return name;
  }

  addInput(name: string, dims: Dim[], elemType: number = DataType.FLOAT): string {
    this.inputs.push(valueInfo(this.claim(name), dims, elemType));
    return name;
  }

  /** Declares a graph output (the value must be produced by some node or be an initializer/input). */
  addOutput(name: string, dims: Dim[], elemType: number = DataType.FLOAT): string {
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** Adds a float32 initializer (stored as little-endian raw_data). Returns its name. */
  addInitializer(name: string, data: Float32Array, dims: number[]): string {
    checkDims(name, dims, data.length);
    this.initializers.push({ name: this.claim(name), dataType: DataType.FLOAT, dims: [...dims], rawData: bytesOf(data) });
    return name;
  }

  /** Adds an int64 initializer (shapes, Slice starts/ends/axes/steps, ...). Returns its name. */
  addInt64Initializer(name: string, data: ArrayLike<number> | BigInt64Array, dims: number[] = [data.length]): string {
    checkDims(name, dims, data.length);
    const arr = data instanceof BigInt64Array ? data : BigInt64Array.from(Array.from(data as ArrayLike<number>, (x) => BigInt(x)));
    this.initializers.push({ name: this.claim(name), dataType: DataType.INT64, dims: [...dims], rawData: bytesOf(arr) });
    return name;
  }

  /** Adds a node; returns its output names. */
  addNode(spec: NodeSpec): string[] {
    const outs = typeof spec.outputs === 'object'
      ? spec.outputs.map((o) => this.claim(o))
      : Array.from({ length: spec.outputs ?? 1 }, () => this.uniqueName(spec.op.toLowerCase()));
    const node: Node = {
      opType: spec.op,
      input: [...spec.inputs],
      output: outs,
      name: spec.name ?? this.uniqueName(`n_${spec.op}`),
      attribute: Object.entries(spec.attrs ?? {}).map(([k, v]) => toAttribute(k, v)),
    };
    if (spec.domain) node.domain = spec.domain;
    this.nodes.push(node);
    return outs;
  }

  /** Shorthand for a single-output node; `output` names the result (default: automatic). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.addNode({ op, inputs, attrs, outputs: output === undefined ? 1 : [output] })[0];
  }

  addOpsetImport(domain: string, version: number): void {
    this.opsets.set(domain, version);
  }

  setMetadata(key: string, value: string | number): void {
    this.metadata.set(key, String(value));
  }

  setMetadataProps(props: Record<string, string | number>): void {
    for (const [k, v] of Object.entries(props)) this.setMetadata(k, v);
  }

  toModel(): Model {
    return {
      irVersion: this.opts.irVersion ?? 8,
      producerName: this.opts.producerName ?? 'chroma',
      producerVersion: this.opts.producerVersion ?? '0.1.0',
      docString: this.opts.docString,
      opsetImport: [...this.opsets].map(([domain, version]) => ({ domain, version })),
      graph: {
        name: this.opts.name ?? 'chroma',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
    };
  }

  serialize(): Uint8Array {
    return encodeModel(this.toModel());
  }
}

// ---- metadata_props without decoding the graph --------------------------------------------------

const utf8d = new TextDecoder('utf-8', { fatal: false });

function readVarint(buf: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw modelError('truncated ONNX model (varint runs past the end)');
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [value, pos];
    mul *= 128;
  }
  throw modelError('malformed ONNX model (varint longer than 10 bytes)');
}

function skipField(buf: Uint8Array, pos: number, wire: number): number {
  switch (wire) {
    case 0: return readVarint(buf, pos)[1];
    case 1: return pos + 8;
    case 2: {
      const [len, p] = readVarint(buf, pos);
      return p + len;
    }
    case 5: return pos + 4;
    default: throw modelError(`malformed ONNX model (unsupported wire type ${wire})`);
  }
}

function parseEntry(buf: Uint8Array, start: number, end: number): [string, string] {
  let key = '';
  let value = '';
  let pos = start;
  while (pos < end) {
    const [tag, p] = readVarint(buf, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (wire === 2 && (field === 1 || field === 2)) {
      const [len, q] = readVarint(buf, p);
      if (q + len > end) throw modelError('malformed ONNX model (metadata entry overruns)');
      const s = utf8d.decode(buf.subarray(q, q + len));
      if (field === 1) key = s;
      else value = s;
      pos = q + len;
    } else {
      pos = skipField(buf, p, wire);
    }
  }
  return [key, value];
}

/**
 * Reads the top-level metadata_props (ModelProto field 14) of a serialised ONNX model without
 * decoding its graph: walks the top-level fields and skips the length-delimited ones (the graph,
 * with its initializers, is one of them). Later entries win for duplicated keys.
 */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  const out: Record<string, string> = {};
  const end = bytes.length;
  let pos = 0;
  while (pos < end) {
    const [tag, p] = readVarint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 0) throw modelError('malformed ONNX model (field number 0)');
    if (field === 14 && wire === 2) {
      const [len, q] = readVarint(bytes, p);
      if (q + len > end) throw modelError('truncated ONNX model (metadata entry runs past the end)');
      const [k, v] = parseEntry(bytes, q, q + len);
      out[k] = v;
      pos = q + len;
    } else {
      pos = skipField(bytes, p, wire);
    }
    if (pos > end) throw modelError('truncated ONNX model (field runs past the end)');
  }
  return out;
}
