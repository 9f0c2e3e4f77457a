// Stylesheets are imported for their side effect: Vite bundles them into the hashed CSS file.
declare module '*.css';
