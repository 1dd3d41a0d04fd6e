// With a lib that has explicit resource management, WasmTensor works in `using`.

import { alloc } from 'cosinekit';

export function sum(): number {
  using tensor = alloc([4]);
  tensor.data.set([1, 2, 3, 4]);
  return tensor.data.reduce((total, value) => total + value, 0);
}
