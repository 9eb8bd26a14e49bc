import Router from '@koa/router';
import { bearer, requireScope } from '../../platform/auth/bearer.js';
import type { AccessTokenVerifier } from '../../platform/auth/verify-access-token.js';
import { jsonBody } from '../../platform/middleware/json-body.js';
import { validate } from '../../platform/middleware/validate.js';
import type { RegistryHandlers } from './handlers.js';
import { InstancePath, Register, ServicePath } from './schemas.js';

/** The registry's route table, on the gateway's internal port; every route needs a registry token. */
export function registryRouter(verifier: AccessTokenVerifier, h: RegistryHandlers): Router {
  const auth = bearer(verifier);
  const write = requireScope('registry:write');
  const read = requireScope('registry:read');
  const instance = '/registry/services/:name/instances/:instanceId';
  return new Router()
    .put(instance, auth, write, jsonBody({ limitBytes: 8 * 1024 }), validate(Register), h.register)
    .put(`${instance}/heartbeat`, auth, write, validate(InstancePath), h.heartbeat)
    .delete(instance, auth, write, validate(InstancePath), h.deregister)
    .get('/registry/services/:name/instances', auth, read, validate(ServicePath), h.list);
}
