// The subset of the ONNX protobuf schema (onnx/onnx.proto, IR version 8+) that chroma writes and
// reads, declared with protobufjs reflection objects. Field numbers follow the published schema;
// oneof members (TypeProto.value, Dimension.value) are declared as plain optional fields, which is
// wire-compatible.

import protobuf from 'protobufjs';

const { Root, Type, Field, Enum } = protobuf;

/** TensorProto.DataType values used here. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
} as const;
export type DataTypeValue = (typeof DataType)[keyof typeof DataType];

/** AttributeProto.AttributeType values. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

// ---- plain-object shapes (what encode takes and decode returns) -------------------------------

export interface StringStringEntry {
  key?: string;
  value?: string;
}
export interface OperatorSetId {
  domain?: string;
  version?: number;
}
export interface TensorShapeDim {
  dimValue?: number;
  dimParam?: string;
  denotation?: string;
}
export interface TensorShape {
  dim?: TensorShapeDim[];
}
export interface TypeProtoTensor {
  elemType?: number;
  shape?: TensorShape;
}
export interface TypeProtoObj {
  tensorType?: TypeProtoTensor;
  denotation?: string;
}
export interface ValueInfo {
  name?: string;
  type?: TypeProtoObj;
  docString?: string;
}
export interface Tensor {
  dims?: number[];
  dataType?: number;
  floatData?: number[];
  int32Data?: number[];
  stringData?: Uint8Array[];
  int64Data?: number[];
  name?: string;
  rawData?: Uint8Array;
  doubleData?: number[];
  uint64Data?: number[];
  docString?: string;
}
export interface Attribute {
  name?: string;
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: Tensor;
  g?: Graph;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: Tensor[];
  graphs?: Graph[];
  docString?: string;
  refAttrName?: string;
}
export interface Node {
  input?: string[];
  output?: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute?: Attribute[];
  docString?: string;
}
export interface Graph {
  node?: Node[];
  name?: string;
  initializer?: Tensor[];
  docString?: string;
  input?: ValueInfo[];
  output?: ValueInfo[];
  valueInfo?: ValueInfo[];
}
export interface Model {
  irVersion?: number;
  opsetImport?: OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph?: Graph;
  metadataProps?: StringStringEntry[];
}

// ---- schema ------------------------------------------------------------------------------------

function type(name: string, fields: Array<[name: string, id: number, type: string, rule?: 'repeated']>): protobuf.Type {
  const t = new Type(name);
  for (const [fname, id, ftype, rule] of fields) {
    // Repeated numeric fields are written packed (every conforming parser accepts either form).
    const numeric = ['float', 'double', 'int32', 'int64', 'uint64', 'uint32'].includes(ftype);
    t.add(new Field(fname, id, ftype, rule, undefined, rule === 'repeated' && numeric ? { packed: true } : undefined));
  }
  return t;
}

function buildRoot(): protobuf.Root {
  const root = new Root();
  const ns = root.define('onnx');

  ns.add(
    new Enum('AttributeType', { ...AttributeType }),
  );
  ns.add(type('StringStringEntryProto', [
    ['key', 1, 'string'],
    ['value', 2, 'string'],
  ]));
  ns.add(type('OperatorSetIdProto', [
    ['domain', 1, 'string'],
    ['version', 2, 'int64'],
  ]));

  const shape = type('TensorShapeProto', [['dim', 1, 'Dimension', 'repeated']]);
  shape.add(type('Dimension', [
    ['dimValue', 1, 'int64'],
    ['dimParam', 2, 'string'],
    ['denotation', 3, 'string'],
  ]));
  ns.add(shape);

  const typeProto = type('TypeProto', [
    ['tensorType', 1, 'Tensor'],
    ['denotation', 6, 'string'],
  ]);
  typeProto.add(type('Tensor', [
    ['elemType', 1, 'int32'],
    ['shape', 2, 'TensorShapeProto'],
  ]));
  ns.add(typeProto);

  ns.add(type('ValueInfoProto', [
    ['name', 1, 'string'],
    ['type', 2, 'TypeProto'],
    ['docString', 3, 'string'],
  ]));

  ns.add(type('TensorProto', [
    ['dims', 1, 'int64', 'repeated'],
    ['dataType', 2, 'int32'],
    ['floatData', 4, 'float', 'repeated'],
    ['int32Data', 5, 'int32', 'repeated'],
    ['stringData', 6, 'bytes', 'repeated'],
    ['int64Data', 7, 'int64', 'repeated'],
    ['name', 8, 'string'],
    ['rawData', 9, 'bytes'],
    ['doubleData', 10, 'double', 'repeated'],
    ['uint64Data', 11, 'uint64', 'repeated'],
    ['docString', 12, 'string'],
  ]));

  ns.add(type('AttributeProto', [
    ['name', 1, 'string'],
    ['f', 2, 'float'],
    ['i', 3, 'int64'],
    ['s', 4, 'bytes'],
    ['t', 5, 'TensorProto'],
    ['g', 6, 'GraphProto'],
    ['floats', 7, 'float', 'repeated'],
    ['ints', 8, 'int64', 'repeated'],
    ['strings', 9, 'bytes', 'repeated'],
    ['tensors', 10, 'TensorProto', 'repeated'],
    ['graphs', 11, 'GraphProto', 'repeated'],
    ['docString', 13, 'string'],
    ['type', 20, 'int32'],
    ['refAttrName', 21, 'string'],
  ]));

  ns.add(type('NodeProto', [
    ['input', 1, 'string', 'repeated'],
    ['output', 2, 'string', 'repeated'],
    ['name', 3, 'string'],
    ['opType', 4, 'string'],
    ['attribute', 5, 'AttributeProto', 'repeated'],
    ['docString', 6, 'string'],
    ['domain', 7, 'string'],
  ]));

  ns.add(type('GraphProto', [
    ['node', 1, 'NodeProto', 'repeated'],
    ['name', 2, 'string'],
    ['initializer', 5, 'TensorProto', 'repeated'],
    ['docString', 10, 'string'],
    ['input', 11, 'ValueInfoProto', 'repeated'],
    ['output', 12, 'ValueInfoProto', 'repeated'],
    ['valueInfo', 13, 'ValueInfoProto', 'repeated'],
  ]));

  ns.add(type('ModelProto', [
    ['irVersion', 1, 'int64'],
    ['producerName', 2, 'string'],
    ['producerVersion', 3, 'string'],
    ['domain', 4, 'string'],
    ['modelVersion', 5, 'int64'],
    ['docString', 6, 'string'],
    ['graph', 7, 'GraphProto'],
    ['opsetImport', 8, 'OperatorSetIdProto', 'repeated'],
    ['metadataProps', 14, 'StringStringEntryProto', 'repeated'],
  ]));

  root.resolveAll();
  return root;
}

export const onnxRoot: protobuf.Root = buildRoot();

export const ModelProto: protobuf.Type = onnxRoot.lookupType('onnx.ModelProto');
export const GraphProto: protobuf.Type = onnxRoot.lookupType('onnx.GraphProto');
export const NodeProto: protobuf.Type = onnxRoot.lookupType('onnx.NodeProto');
export const TensorProto: protobuf.Type = onnxRoot.lookupType('onnx.TensorProto');
export const AttributeProto: protobuf.Type = onnxRoot.lookupType('onnx.AttributeProto');
export const ValueInfoProto: protobuf.Type = onnxRoot.lookupType('onnx.ValueInfoProto');
export const TypeProto: protobuf.Type = onnxRoot.lookupType('onnx.TypeProto');
export const TensorShapeProto: protobuf.Type = onnxRoot.lookupType('onnx.TensorShapeProto');
export const OperatorSetIdProto: protobuf.Type = onnxRoot.lookupType('onnx.OperatorSetIdProto');
export const StringStringEntryProto: protobuf.Type = onnxRoot.lookupType('onnx.StringStringEntryProto');

/** Serialises a ModelProto given as a plain object (camelCase field names). */
export function encodeModel(model: Model): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Error(`invalid ONNX ModelProto: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parses a whole ModelProto into a plain object (int64 as numbers, bytes as Buffer/Uint8Array). */
export function decodeModel(bytes: Uint8Array): Model {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as Model;
}
