import { newModelFromString } from 'casbin';

/**
 * RBAC with domains: a subject (role) holds `resource:action` permissions in a domain (a tenant, or
 * `*` for every tenant); `g` lets a role inherit another role's grants within a domain.
 */
export const rbacModelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = (r.sub == p.sub || g(r.sub, p.sub, r.dom) || g(r.sub, p.sub, "*")) && (p.dom == "*" || p.dom == r.dom) && (p.obj == "*" || p.obj == r.obj) && (p.act == "*" || p.act == r.act)
`;

export const createRbacModel = () => newModelFromString(rbacModelText);
