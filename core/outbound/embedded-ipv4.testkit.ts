/**
 * URL hosts in IPv6 forms that reach an IPv4 loopback, private or metadata address (or a prefix
 * refused whole): each feature that connects on a workspace's behalf must refuse every one.
 */
export const embeddedIPv4Hosts = [
  '[::7f00:1]',
  '[::a9fe:a9fe]',
  '[::127.0.0.1]',
  '[::169.254.169.254]',
  '[::a00:1]',
  '[::ffff:127.0.0.1]',
  '[::ffff:0:7f00:1]',
  '[64:ff9b::a9fe:a9fe]',
  '[64:ff9b:1::7f00:1]',
  '[2002:7f00:1::1]',
  '[2002:a9fe:a9fe::1]',
  '[2001:0:4136:e378:8000:63bf:80ff:fffe]',
  '[2606:4700::200:5efe:7f00:1]',
];
