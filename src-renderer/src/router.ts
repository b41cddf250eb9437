/** Routes: hash history, so the same build works from file:// (Electron) and http (nos serve). */
import { createRouter, createWebHashHistory, type RouteRecordRaw } from 'vue-router';

const routes: RouteRecordRaw[] = [
  { path: '/', redirect: '/runs' },
  {
    path: '/runs',
    name: 'runs',
    component: () => import('./features/runs/RunsView.vue'),
    meta: { title: 'Runs' },
  },
  {
    path: '/runs/:id',
    name: 'run',
    component: () => import('./features/live/RunView.vue'),
    props: true,
    meta: { title: 'Run' },
  },
  {
    path: '/runs/:id/cells',
    name: 'cells',
    component: () => import('./features/cells/CellView.vue'),
    props: true,
    meta: { title: 'Cells' },
  },
  {
    path: '/datasets',
    name: 'datasets',
    component: () => import('./features/datasets/DatasetsView.vue'),
    meta: { title: 'Datasets' },
  },
  {
    path: '/datasets/import',
    name: 'dataset-import',
    component: () => import('./features/datasets/DatasetWizard.vue'),
    meta: { title: 'Import dataset' },
  },
  {
    path: '/datasets/:id',
    name: 'dataset',
    component: () => import('./features/datasets/DatasetView.vue'),
    props: true,
    meta: { title: 'Dataset' },
  },
  {
    path: '/search/new',
    name: 'search-new',
    component: () => import('./features/search/SearchWizard.vue'),
    meta: { title: 'New search' },
  },
  {
    path: '/compare',
    name: 'compare',
    component: () => import('./features/compare/CompareView.vue'),
    meta: { title: 'Compare' },
  },
  {
    path: '/export',
    name: 'export',
    component: () => import('./features/export/ExportView.vue'),
    meta: { title: 'Export' },
  },
  {
    path: '/system',
    name: 'system',
    component: () => import('./features/system/SystemView.vue'),
    meta: { title: 'System' },
  },
  { path: '/:pathMatch(.*)*', redirect: '/runs' },
];

export const router = createRouter({ history: createWebHashHistory(), routes });

router.afterEach((to) => {
  document.title = `${String(to.meta.title ?? 'NOS Studio')} · NOS Studio`;
});
