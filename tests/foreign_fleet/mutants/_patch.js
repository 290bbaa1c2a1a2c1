// Shared by the mutants: replace one method of a built class before the service boots (`node -r <mutant>`).
//
// NestJS reads a handler's route, HTTP method and guards from metadata attached to the function itself, so a plain
// reassignment would make the route disappear; the replacement gets the original's metadata.
require('reflect-metadata');
const path = require('path');

const DIST = path.resolve(__dirname, '..', 'dist');

function built(modulePath) {
  return require(path.join(DIST, modulePath));
}

function replaceMethod(proto, name, makeReplacement) {
  const original = proto[name];
  if (typeof original !== 'function') {
    throw new Error(`mutant: ${proto.constructor.name}.${name} is not a method; the built code changed`);
  }
  const replacement = makeReplacement(original);
  for (const key of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), replacement);
  }
  Object.defineProperty(proto, name, { ...Object.getOwnPropertyDescriptor(proto, name), value: replacement });
}

module.exports = { built, replaceMethod };
